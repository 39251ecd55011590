using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace LogitStd.Shell.Persistence;

/// <summary>
/// The manifest of a <see cref="ProjectCheckpoint"/> (<c>logitstd-checkpoint.json</c>): format, version
/// and the section table. <see cref="Read"/> trusts nothing in it: every name, kind, dtype and shape is
/// checked, and every tensor's byte count is computed (without overflow) and compared with its member's
/// length before the reader allocates anything from it.
/// </summary>
internal sealed class CheckpointManifest
{
    /// <summary>A manifest larger than this is not one this program wrote (it lists tensors, not data).</summary>
    private const long MaxManifestBytes = 64L << 20;

    /// <summary>Bytes per element of every dtype the writer can store.</summary>
    private static readonly Dictionary<ScalarType, int> ElementBytes = new()
    {
        [ScalarType.Byte] = 1, [ScalarType.Int8] = 1, [ScalarType.Bool] = 1, [ScalarType.Int16] = 2,
        [ScalarType.Int32] = 4, [ScalarType.Int64] = 8, [ScalarType.Float16] = 2, [ScalarType.BFloat16] = 2,
        [ScalarType.Float32] = 4, [ScalarType.Float64] = 8, [ScalarType.ComplexFloat32] = 8, [ScalarType.ComplexFloat64] = 16,
    };

    public string Format { get; set; } = "";
    public int Version { get; set; }
    public List<SectionRecord> Sections { get; set; } = [];

    internal sealed class SectionRecord
    {
        public string Name { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? File { get; set; }
        public List<TensorRecord>? Tensors { get; set; }
    }

    internal sealed class TensorRecord
    {
        public string Key { get; set; } = "";
        public string DType { get; set; } = "";
        public long[] Shape { get; set; } = [];
        public string File { get; set; } = "";

        /// <summary>The parsed dtype (set by <see cref="Read"/>).</summary>
        [JsonIgnore] public ScalarType Type { get; set; }

        /// <summary>The byte count the shape and dtype imply (set by <see cref="Read"/>).</summary>
        [JsonIgnore] public long Bytes { get; set; }
    }

    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads and validates the manifest of an open archive.</summary>
    /// <exception cref="CheckpointFormatException">Missing, damaged, of another format or version, or inconsistent.</exception>
    public static CheckpointManifest Read(ZipArchive zip, string path)
    {
        var entry = zip.GetEntry(ProjectCheckpoint.ManifestEntry) ?? throw Bad(path, $"has no {ProjectCheckpoint.ManifestEntry}");
        CheckpointManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(ZipMember.ReadAll(entry, path, MaxManifestBytes), Options);
        }
        catch (JsonException e)
        {
            throw Bad(path, $"{ProjectCheckpoint.ManifestEntry} is not valid: {e.Message}", e);
        }
        if (manifest is null) throw Bad(path, "empty manifest");
        if (manifest.Format != ProjectCheckpoint.FormatName)
            throw Bad(path, $"format '{manifest.Format}', expected '{ProjectCheckpoint.FormatName}'");
        if (manifest.Version > ProjectCheckpoint.FormatVersion || manifest.Version < 1)
            throw Bad(path, $"format version {manifest.Version} is not one this program reads (1..{ProjectCheckpoint.FormatVersion})");
        manifest.Validate(zip, path);
        return manifest;
    }

    private void Validate(ZipArchive zip, string path)
    {
        if (Sections is null) throw Bad(path, "the manifest has no section list");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Sections)
        {
            if (s is null || string.IsNullOrEmpty(s.Name)) throw Bad(path, "a section without a name");
            if (!names.Add(s.Name)) throw Bad(path, $"section '{s.Name}' appears twice");
            switch (s.Kind)
            {
                case "tensors":
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var t in s.Tensors ?? [])
                    {
                        if (t is null || t.Key is null || !keys.Add(t.Key)) throw Bad(path, $"section '{s.Name}': a tensor without a key, or a key twice");
                        ValidateTensor(zip, path, s.Name, t);
                    }
                    break;
                case "json":
                case "bytes":
                    if (s.File is null || zip.GetEntry(s.File) is null) throw Bad(path, $"section '{s.Name}': missing entry {s.File}");
                    break;
                default:
                    throw Bad(path, $"section '{s.Name}' has unknown kind '{s.Kind}'");
            }
        }
    }

    private static void ValidateTensor(ZipArchive zip, string path, string section, TensorRecord t)
    {
        string what = $"{section}/{t.Key}";
        if (!Enum.TryParse<ScalarType>(t.DType, ignoreCase: false, out var type) || !ElementBytes.TryGetValue(type, out int size)
            || type.ToString() != t.DType)
            throw Bad(path, $"{what}: unknown dtype '{t.DType}'");
        if (t.Shape is null || t.Shape.Length > 64) throw Bad(path, $"{what}: no shape, or more than 64 dimensions");
        long bytes = size;
        foreach (var d in t.Shape)
        {
            if (d < 0) throw Bad(path, $"{what}: negative dimension {d} in shape [{string.Join(", ", t.Shape)}]");
            // Bytes are bounded by the file's length below, so any product beyond it is refused without overflowing.
            bytes = d == 0 ? 0 : bytes > long.MaxValue / d ? long.MaxValue : bytes * d;
        }
        var entry = (t.File is null ? null : zip.GetEntry(t.File)) ?? throw Bad(path, $"{what}: missing entry {t.File}");
        long length = ZipMember.CheckedLength(entry, path);
        if (length != bytes)
            throw Bad(path, $"{what} [{string.Join(", ", t.Shape)}] {t.DType} needs {(bytes == long.MaxValue ? "more than 2^63" : bytes.ToString("N0"))} bytes; its entry holds {length:N0}");
        t.Type = type;
        t.Bytes = bytes;
    }

    private static CheckpointFormatException Bad(string path, string problem, Exception? inner = null) =>
        new($"'{path}' is not a readable {ProjectCheckpoint.FormatName} file: {problem}", inner);
}
