using System.IO.Compression;
using static TorchSharp.torch;

namespace LogitStd.Shell.Persistence;

/// <summary>
/// This project's own reader of <c>torch.save</c> files, built on <see cref="PickleReader"/>, for what
/// TorchSharp.PyBridge does not read:
/// <list type="bullet">
/// <item>PyTorch's pre-1.6 format (still written with <c>_use_new_zipfile_serialization=False</c>), in
/// which CRD's and mdistiller's CIFAR teachers were saved: a sequence of pickles — magic number,
/// protocol version, system info, the object (tensors referring to storages by persistent id), the list
/// of storage keys — followed by each storage as an int64 element count and its raw bytes;</item>
/// <item>zip files whose pickle holds objects PyBridge's unpickler cannot construct (numpy scalars
/// such as a <c>best_acc</c>, argparse namespaces): here they stay opaque and only the tensors matter.</item>
/// </list>
/// Tensors are rebuilt from their storage with offset and strides, so views and shared storages come
/// out right.
/// </summary>
internal static class TorchSaveReader
{
    /// <summary><c>torch.serialization.MAGIC_NUMBER</c> (0x1950a86a20f9469cfc6c), pickled as LONG1 after PROTO 2.</summary>
    private static readonly byte[] Prefix = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    private static readonly System.Numerics.BigInteger MagicNumber = System.Numerics.BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);

    /// <summary>True when the file starts with the legacy magic number.</summary>
    public static bool IsLegacy(string path)
    {
        using var f = File.OpenRead(path);
        var head = new byte[Prefix.Length];
        return f.Read(head, 0, head.Length) == head.Length && head.AsSpan().SequenceEqual(Prefix);
    }

    /// <summary>A storage named by a persistent id; its bytes come after the pickles.</summary>
    private sealed class Storage(string key, ScalarType dtype)
    {
        public string Key { get; } = key;
        public ScalarType DType { get; } = dtype;
        public Tensor? Data { get; set; }
    }

    /// <summary>A tensor waiting for its storage: <c>_rebuild_tensor_v2(storage, offset, size, stride, …)</c>.</summary>
    internal sealed class PendingTensor(object storage, long offset, long[] size, long[] stride)
    {
        public object Storage { get; } = storage;
        public long Offset { get; } = offset;
        public long[] Size { get; } = size;
        public long[] Stride { get; } = stride;
        public Tensor? Value { get; set; }
    }

    /// <summary>
    /// Reads a zip-format file: <c>*/data.pkl</c> is the object, <c>*/data/&lt;key&gt;</c> the storages.
    /// Tensors appear as <see cref="PendingTensor"/> with <c>Value</c> set, dicts as
    /// <c>Dictionary&lt;object, object?&gt;</c>. The caller owns the tensors.
    /// </summary>
    public static object? ReadZip(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException("no data.pkl in the archive");
        var prefix = pkl.FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        var pending = new List<PendingTensor>();
        object? result;
        using (var ms = new MemoryStream())
        {
            // ZipArchive entry streams do not seek; the pickle is small, so it is buffered.
            using (var s = pkl.Open()) s.CopyTo(ms);
            ms.Position = 0;
            result = new PickleReader(ms, pid => LoadStorage(pid, storages), (g, args) => Reduce(g, args, pending)).Load();
        }
        foreach (var storage in storages.Values)
        {
            var entry = zip.GetEntry(prefix + "data/" + storage.Key) ?? throw new InvalidDataException($"storage {storage.Key} missing from the archive");
            using var probe = empty([0], storage.DType);
            var data = empty([entry.Length / probe.ElementSize], storage.DType);
            using (var s = entry.Open()) data.ReadBytesFromStream(s);
            storage.Data = data;
        }
        Materialise(pending, storages);
        return result;
    }

    /// <summary>Reads a legacy-format file; same result shape as <see cref="ReadZip"/>.</summary>
    public static object? ReadLegacy(string path)
    {
        using var f = File.OpenRead(path);
        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        var pending = new List<PendingTensor>();
        var reader = new PickleReader(f, pid => LoadStorage(pid, storages), (g, args) => Reduce(g, args, pending));
        if (reader.Load() is not System.Numerics.BigInteger magic || magic != MagicNumber)
            throw new InvalidDataException("not a legacy torch.save file (magic number differs)");
        var protocol = reader.Load();
        if (protocol is not long p || p != 1001) throw new InvalidDataException($"unsupported legacy protocol version {protocol}");
        var sysInfo = reader.Load() as Dictionary<object, object?>;
        if (sysInfo?.GetValueOrDefault("little_endian") is false) throw new InvalidDataException("big-endian checkpoints are not supported");
        var result = reader.Load();
        var keys = reader.Load() as List<object?> ?? throw new InvalidDataException("storage key list missing");
        using var br = new BinaryReader(f, System.Text.Encoding.UTF8, leaveOpen: true);
        foreach (var k in keys)
        {
            var key = (string)k!;
            var storage = storages[key];
            var count = br.ReadInt64();
            var data = empty([count], storage.DType);
            data.ReadBytesFromStream(f);
            storage.Data = data;
        }
        Materialise(pending, storages);
        return result;
    }

    private static void Materialise(List<PendingTensor> pending, Dictionary<string, Storage> storages)
    {
        try
        {
            foreach (var t in pending)
            {
                var data = ((Storage)t.Storage).Data ?? throw new InvalidDataException("tensor refers to a storage that was not written");
                // Copy out of the shared storage so that each tensor owns contiguous memory.
                using var view = data.as_strided(t.Size, t.Stride, t.Offset);
                t.Value = view.clone();
            }
        }
        finally
        {
            foreach (var s in storages.Values) s.Data?.Dispose();
        }
    }

    private static Storage LoadStorage(object? pid, Dictionary<string, Storage> storages)
    {
        // ('storage', storage_type, root_key, location, numel, view_metadata)
        if (pid is not object?[] { Length: >= 5 } t || t[0] as string != "storage")
            throw new InvalidDataException("unknown persistent id in legacy checkpoint");
        if (t.Length > 5 && t[5] is not null)
            throw new InvalidDataException("storage views (PyTorch < 0.4 checkpoints) are not supported");
        var type = (PyGlobal)t[1]!;
        var key = (string)t[2]!;
        if (!storages.TryGetValue(key, out var s))
        {
            s = new Storage(key, DTypeOf(type.Name));
            storages[key] = s;
        }
        return s;
    }

    private static object? Reduce(PyGlobal g, object?[] args, List<PendingTensor> pending)
    {
        switch (g.FullName)
        {
            case "collections.OrderedDict":
                return new Dictionary<object, object?>();
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
            {
                var t = new PendingTensor(args[0]!, (long)args[1]!, Longs(args[2]), Longs(args[3]));
                pending.Add(t);
                return t;
            }
            case "torch._utils._rebuild_parameter":
                return args[0];
            default:
                return new PyOpaque(g, args);
        }
    }

    private static long[] Longs(object? tuple) => ((object?[])tuple!).Select(o => (long)o!).ToArray();

    private static ScalarType DTypeOf(string storage) => storage switch
    {
        "FloatStorage" => ScalarType.Float32,
        "DoubleStorage" => ScalarType.Float64,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        _ => throw new InvalidDataException($"unsupported storage type {storage}"),
    };
}
