using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LogitStd.Shell.Data;

namespace LogitStd.Shell.TeacherCache;

/// <summary>
/// What a frozen teacher's logits depend on, and so what a cache file is for: the teacher (SHA-256 of
/// its checkpoint file and its architecture), the images (dataset name, split, count, and a SHA-256 of
/// every label and pixel, which also tells a seeded training subset or another copy of the data
/// apart), the transform that turns an image and a view number into the teacher's input, and the
/// layout (classes, views, dtype, images per chunk). The header of a cache file records it; a file
/// whose key differs in any field is refused, naming the field.
/// </summary>
public sealed record TeacherCacheKey(
    string TeacherSha256, string TeacherModel, int Classes,
    string Dataset, string Split, int Count, string DatasetSha256,
    string Transform, int Views, string Dtype, int ChunkImages, string TeacherInference = TeacherCacheKey.Folded)
{
    /// <summary>The format name in every header.</summary>
    public const string Format = "logitstd-teacher-cache/1";

    /// <summary>How the teacher computes the cached logits: eval mode, inference mode, BatchNorm folded into
    /// the convolutions that <see cref="Models.Layers.ConvBn"/> calls (<see cref="Models.BatchNormFolding"/>).</summary>
    public const string Folded = "eval, inference mode, BatchNorm folded (ConvBn pairs)";

    /// <summary>Images per chunk: the teacher's batch when filling, and the unit of the validity table.</summary>
    public const int DefaultChunkImages = 512;

    /// <summary>The key of <paramref name="teacherFile"/>'s logits on <paramref name="data"/> through <paramref name="transform"/>.</summary>
    public static TeacherCacheKey For(string teacherFile, string teacherModel, ImageDataset data, IViewTransform transform) =>
        new(FileSha256(teacherFile), teacherModel, data.Classes, data.Name, data.Split, data.Count, HashDataset(data),
            transform.Description, transform.ViewCount, "float32", DefaultChunkImages);

    /// <summary>The file this key's cache lives in, inside <paramref name="directory"/>: readable and unique per key.</summary>
    public string FileIn(string directory)
    {
        var split = new string(Split.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        while (split.Contains("--", StringComparison.Ordinal)) split = split.Replace("--", "-", StringComparison.Ordinal);
        var layout = Hex(SHA256.HashData(Encoding.UTF8.GetBytes($"{Transform}|{Views}|{Classes}|{Dtype}|{ChunkImages}|{TeacherInference}")))[..8];
        return Path.Combine(directory, $"{TeacherModel}-{TeacherSha256[..12]}-{Dataset}-{split}-{DatasetSha256[..12]}-{layout}.tlc");
    }

    /// <summary>The key as header JSON: every field by name, the format first.</summary>
    public byte[] ToJson()
    {
        var fields = new Dictionary<string, object>
        {
            ["format"] = Format, ["teacher_sha256"] = TeacherSha256, ["teacher_model"] = TeacherModel, ["classes"] = Classes,
            ["dataset"] = Dataset, ["split"] = Split, ["images"] = Count, ["dataset_sha256"] = DatasetSha256,
            ["transform"] = Transform, ["views"] = Views, ["dtype"] = Dtype, ["chunk_images"] = ChunkImages,
            ["teacher_inference"] = TeacherInference,
        };
        return JsonSerializer.SerializeToUtf8Bytes(fields, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a header's JSON; a missing or ill-typed field raises <see cref="TeacherCacheException"/> naming it.</summary>
    public static TeacherCacheKey FromJson(string file, ReadOnlySpan<byte> json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json.ToArray()); }
        catch (JsonException e) { throw new TeacherCacheException(file, $"the header is not valid JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            string Str(string name) =>
                root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                    ? v.GetString()! : throw new TeacherCacheException(file, $"the header has no text field '{name}'");
            int Int(string name) =>
                root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) && n > 0
                    ? n : throw new TeacherCacheException(file, $"the header has no positive integer field '{name}'");
            var format = Str("format");
            if (format != Format) throw new TeacherCacheException(file, $"format '{format}', expected '{Format}'");
            var key = new TeacherCacheKey(Str("teacher_sha256"), Str("teacher_model"), Int("classes"), Str("dataset"), Str("split"),
                Int("images"), Str("dataset_sha256"), Str("transform"), Int("views"), Str("dtype"), Int("chunk_images"), Str("teacher_inference"));
            return key.SizeProblem() is { } problem ? throw new TeacherCacheException(file, $"the header claims {problem}") : key;
        }
    }

    /// <summary>
    /// Why the layout this key describes cannot be a file (its counts multiply past what the file format's
    /// int and long arithmetic holds — a header claiming 2³¹−1 images), or null. Checked before any of
    /// the products is computed.
    /// </summary>
    public string? SizeProblem()
    {
        try
        {
            long chunks = checked((long)Views * ((Count + (long)ChunkImages - 1) / ChunkImages));
            long chunkBytes = checked((long)ChunkImages * Classes * 4);
            long dataBytes = checked((long)Views * Count * Classes * 4);
            if (chunks > int.MaxValue / 8) return $"{chunks:N0} chunks, more than its validity table holds";
            if (chunkBytes > int.MaxValue) return $"chunks of {chunkBytes:N0} bytes, more than one buffer holds";
            return dataBytes > MaxDataBytes ? $"{dataBytes:N0} bytes of logits, more than {MaxDataBytes:N0}" : null;
        }
        catch (OverflowException)
        {
            return $"{Views:N0} views × {Count:N0} images × {Classes:N0} classes, a size beyond 64-bit arithmetic";
        }
    }

    /// <summary>A petabyte: far beyond any cache, far below a long's range, so offsets computed from it cannot overflow.</summary>
    const long MaxDataBytes = 1L << 50;

    /// <summary>The first field in which <paramref name="other"/> differs from this key, as "name: other, expected this", or null.</summary>
    public string? FirstDifference(TeacherCacheKey other)
    {
        (string Name, object Mine, object Theirs)[] fields =
        [
            ("teacher_sha256 (the teacher checkpoint)", TeacherSha256, other.TeacherSha256), ("teacher_model", TeacherModel, other.TeacherModel),
            ("classes", Classes, other.Classes), ("dataset", Dataset, other.Dataset), ("split", Split, other.Split), ("images", Count, other.Count),
            ("dataset_sha256 (the images and labels)", DatasetSha256, other.DatasetSha256), ("transform", Transform, other.Transform),
            ("views", Views, other.Views), ("dtype", Dtype, other.Dtype), ("chunk_images", ChunkImages, other.ChunkImages),
            ("teacher_inference", TeacherInference, other.TeacherInference),
        ];
        foreach (var (name, mine, theirs) in fields)
            if (!Equals(mine, theirs))
                return string.Create(CultureInfo.InvariantCulture, $"{name} is '{theirs}', this run needs '{mine}'");
        return null;
    }

    /// <summary>SHA-256 of a file's bytes, lower-case hex.</summary>
    public static string FileSha256(string file)
    {
        using var stream = SafeIO.BoundedRead.Open(file, long.MaxValue, "teacher checkpoint");
        return Hex(SHA256.HashData(stream));
    }

    /// <summary>SHA-256 over every image in order: its label (int32, little-endian), its shape and its pixels.</summary>
    public static string HashDataset(ImageDataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> head = stackalloc byte[16];
        for (int i = 0; i < data.Count; i++)
        {
            var image = data.GetImage(i);
            BitConverter.TryWriteBytes(head[..4], data.Labels[i]);
            BitConverter.TryWriteBytes(head[4..8], image.Channels);
            BitConverter.TryWriteBytes(head[8..12], image.Height);
            BitConverter.TryWriteBytes(head[12..], image.Width);
            hash.AppendData(head);
            hash.AppendData(image.Pixels.Span);
        }
        return Hex(hash.GetHashAndReset());
    }

    static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
