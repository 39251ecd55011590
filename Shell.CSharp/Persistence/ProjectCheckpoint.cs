using System.IO.Compression;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Persistence;

/// <summary>
/// The project's own checkpoint: a container of named sections, each either a set of named tensors
/// (model weights, optimizer state), a JSON document (model description, epoch, best accuracy) or raw
/// bytes (an RNG state). On disk it is an uncompressed zip holding <c>logitstd-checkpoint.json</c>
/// (format, version and the section table with every tensor's dtype and shape) and one file per
/// tensor with its raw little-endian bytes, so it round-trips bit for bit and needs no pickle.
/// Section names are unique; setting a section again replaces it. The container owns its tensors.
/// </summary>
public sealed class ProjectCheckpoint : IDisposable
{
    /// <summary>The value of the manifest's <c>format</c> field, by which files are recognised.</summary>
    public const string FormatName = "logitstd-checkpoint";

    /// <summary>Current format version; readers refuse newer versions.</summary>
    public const int FormatVersion = 1;

    /// <summary>Name of the manifest entry inside the zip.</summary>
    public const string ManifestEntry = "logitstd-checkpoint.json";

    /// <summary>Conventional section holding the model's state dict.</summary>
    public const string ModelSection = "model";

    /// <summary>Conventional section holding the model's <see cref="Models.ModelInfo"/> as JSON.</summary>
    public const string ModelInfoSection = "model-info";

    private readonly List<string> order = [];
    private readonly Dictionary<string, Dictionary<string, Tensor>> tensorSections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> jsonSections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> byteSections = new(StringComparer.Ordinal);

    /// <summary>The file a loaded container came from (named by the error for a missing section); null when built in memory.</summary>
    private string? origin;

    /// <summary>Section names in the order they were set (the order they are written); re-setting a section moves it last.</summary>
    public IReadOnlyList<string> SectionNames => order;

    /// <summary>Whether a section of that name exists.</summary>
    public bool Contains(string section) => order.Contains(section);

    /// <summary>Stores copies (detached, contiguous, CPU) of <paramref name="tensors"/> as section <paramref name="section"/>; the caller keeps its tensors.</summary>
    public void SetTensors(string section, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in tensors)
        {
            // The scope frees the intermediate detach/cpu/contiguous handles; only the clone is kept.
            using var scope = NewDisposeScope();
            copy.Add(key, t.detach().cpu().contiguous().clone().MoveToOuterDisposeScope());
        }
        Remove(section);
        order.Add(section);
        tensorSections[section] = copy;
    }

    /// <summary>Stores a JSON document (any JSON text) as section <paramref name="section"/>.</summary>
    public void SetJson(string section, string json)
    {
        using (JsonDocument.Parse(json)) { } // Refuse invalid JSON at write time, not when the file is read back.
        Remove(section);
        order.Add(section);
        jsonSections[section] = json;
    }

    /// <summary>Stores raw bytes (copied) as section <paramref name="section"/>.</summary>
    public void SetBytes(string section, ReadOnlySpan<byte> data)
    {
        Remove(section);
        order.Add(section);
        byteSections[section] = data.ToArray();
    }

    /// <summary>The tensors of section <paramref name="section"/> (owned by this container).</summary>
    public IReadOnlyDictionary<string, Tensor> GetTensors(string section) =>
        tensorSections.TryGetValue(section, out var s) ? s : throw Missing(section, "tensor");

    /// <summary>The JSON text of section <paramref name="section"/>.</summary>
    public string GetJson(string section) =>
        jsonSections.TryGetValue(section, out var s) ? s : throw Missing(section, "JSON");

    /// <summary>The bytes of section <paramref name="section"/>.</summary>
    public ReadOnlyMemory<byte> GetBytes(string section) =>
        byteSections.TryGetValue(section, out var s) ? s : throw Missing(section, "bytes");

    /// <summary>Removes a section if present (disposing its tensors).</summary>
    public void Remove(string section)
    {
        if (!order.Remove(section)) return;
        if (tensorSections.Remove(section, out var ts)) foreach (var t in ts.Values) t.Dispose();
        jsonSections.Remove(section);
        byteSections.Remove(section);
    }

    /// <summary>Writes the container to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        Atomic.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            var manifest = new CheckpointManifest { Format = FormatName, Version = FormatVersion };
            for (var i = 0; i < order.Count; i++)
            {
                var name = order[i];
                var dir = $"sections/{i}";
                if (tensorSections.TryGetValue(name, out var tensors))
                {
                    var entries = new List<CheckpointManifest.TensorRecord>();
                    var j = 0;
                    foreach (var (key, t) in tensors)
                    {
                        var file = $"{dir}/{j++}.bin";
                        using (var s = zip.CreateEntry(file, CompressionLevel.NoCompression).Open()) t.WriteBytesToStream(s);
                        entries.Add(new CheckpointManifest.TensorRecord { Key = key, DType = t.dtype.ToString(), Shape = t.shape, File = file });
                    }
                    manifest.Sections.Add(new CheckpointManifest.SectionRecord { Name = name, Kind = "tensors", Tensors = entries });
                }
                else
                {
                    var (kind, bytes) = jsonSections.TryGetValue(name, out var json)
                        ? ("json", System.Text.Encoding.UTF8.GetBytes(json))
                        : ("bytes", byteSections[name]);
                    var file = $"{dir}/{kind}";
                    using (var s = zip.CreateEntry(file, CompressionLevel.NoCompression).Open()) s.Write(bytes);
                    manifest.Sections.Add(new CheckpointManifest.SectionRecord { Name = name, Kind = kind, File = file });
                }
            }
            using var m = zip.CreateEntry(ManifestEntry, CompressionLevel.NoCompression).Open();
            JsonSerializer.Serialize(m, manifest, CheckpointManifest.Options);
        });
    }

    /// <summary>True when <paramref name="path"/> is a zip holding this format's manifest.</summary>
    public static bool IsProjectCheckpoint(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.GetEntry(ManifestEntry) is not null;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Reads a container written by <see cref="Save"/>; every member is checked (length, CRC-32).</summary>
    /// <exception cref="CheckpointFormatException">Not this format, a newer version, or a damaged file.</exception>
    public static ProjectCheckpoint Load(string path)
    {
        var result = new ProjectCheckpoint { origin = path };
        try
        {
            using var zip = ZipMember.OpenArchive(path);
            var manifest = CheckpointManifest.Read(zip, path);
            foreach (var section in manifest.Sections)
            {
                result.order.Add(section.Name);
                if (section.Kind == "tensors")
                {
                    var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                    result.tensorSections[section.Name] = dict;
                    foreach (var rec in section.Tensors ?? [])
                    {
                        // The manifest has checked shape, dtype and the entry's length before this allocation.
                        var t = empty(rec.Shape, rec.Type);
                        dict.Add(rec.Key, t);
                        ZipMember.Read(zip.GetEntry(rec.File)!, path, s => t.ReadBytesFromStream(s));
                    }
                }
                else
                {
                    var bytes = ZipMember.ReadAll(zip.GetEntry(section.File!)!, path);
                    if (section.Kind == "json") result.jsonSections[section.Name] = Utf8Json(bytes, path, section.Name);
                    else result.byteSections[section.Name] = bytes;
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static string Utf8Json(byte[] bytes, string path, string section)
    {
        try
        {
            using (JsonDocument.Parse(bytes)) { }
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"'{path}': section '{section}' is not valid JSON: {e.Message}", e);
        }
    }

    private Exception Missing(string section, string kind) =>
        origin is null
            ? new KeyNotFoundException($"checkpoint has no {kind} section '{section}' (sections: {string.Join(", ", order)})")
            : new CheckpointFormatException($"'{origin}' has no {kind} section '{section}' (sections: {string.Join(", ", order)})");

    /// <summary>
    /// Reads only the manifest and the JSON sections: tensor shapes per tensor section and the JSON
    /// text per JSON section, without reading any tensor bytes (for checks before loading).
    /// </summary>
    public static (IReadOnlyDictionary<string, IReadOnlyDictionary<string, long[]>> TensorShapes, IReadOnlyDictionary<string, string> Json) Inspect(string path)
    {
        using var zip = ZipMember.OpenArchive(path);
        var manifest = CheckpointManifest.Read(zip, path);
        var shapes = new Dictionary<string, IReadOnlyDictionary<string, long[]>>(StringComparer.Ordinal);
        var json = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var section in manifest.Sections)
        {
            if (section.Kind == "tensors")
                shapes[section.Name] = (section.Tensors ?? []).ToDictionary(r => r.Key, r => r.Shape, StringComparer.Ordinal);
            else if (section.Kind == "json")
                json[section.Name] = Utf8Json(ZipMember.ReadAll(zip.GetEntry(section.File!)!, path), path, section.Name);
        }
        return (shapes, json);
    }

    /// <summary>Disposes every tensor held.</summary>
    public void Dispose()
    {
        foreach (var s in tensorSections.Values)
            foreach (var t in s.Values) t.Dispose();
        tensorSections.Clear();
    }
}
