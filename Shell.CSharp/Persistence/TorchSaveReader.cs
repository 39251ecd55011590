using static TorchSharp.torch;

namespace LogitStd.Shell.Persistence;

/// <summary>
/// This project's own and only reader of <c>torch.save</c> files, built on <see cref="PickleReader"/>
/// (globals allow-listed as <c>weights_only</c> does: <see cref="PickleGlobals"/>), for what
/// TorchSharp.PyBridge does not read and in place of its unpickler, which checks no CRC, length or view:
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
    private sealed class Storage(string key, ScalarType dtype, int elementSize)
    {
        public string Key { get; } = key;
        public ScalarType DType { get; } = dtype;
        public int ElementSize { get; } = elementSize;
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
    /// <c>Dictionary&lt;object, object?&gt;</c>. The caller owns the tensors. Every member read is
    /// checked (length, CRC-32: <see cref="ZipMember"/>).
    /// </summary>
    public static object? ReadZip(string path)
    {
        using var zip = ZipMember.OpenArchive(path);
        var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException("no data.pkl in the archive");
        var prefix = pkl.FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        var pending = new List<PendingTensor>();
        object? result;
        // ZipArchive entry streams do not seek; the pickle is small, so it is buffered (and checked whole).
        using (var ms = new MemoryStream(ZipMember.ReadAll(pkl, path, 1L << 30)))
            result = new PickleReader(ms, pid => LoadStorage(pid, storages), (g, args) => Reduce(g, args, pending), PickleGlobals.IsAllowed).Load();
        try
        {
            foreach (var storage in storages.Values)
            {
                var entry = zip.GetEntry(prefix + "data/" + storage.Key) ?? throw new InvalidDataException($"storage {storage.Key} missing from the archive");
                long length = ZipMember.CheckedLength(entry, path);
                if (length % storage.ElementSize != 0)
                    throw new InvalidDataException($"storage {storage.Key} holds {length:N0} bytes, not a whole number of {storage.ElementSize}-byte {storage.DType} elements");
                storage.Data = empty([length / storage.ElementSize], storage.DType);
                ZipMember.Read(entry, path, s => storage.Data.ReadBytesFromStream(s));
            }
        }
        catch
        {
            foreach (var st in storages.Values) st.Data?.Dispose();
            throw;
        }
        Materialise(pending, storages);
        return result;
    }

    /// <summary>Reads a legacy-format file; same result shape as <see cref="ReadZip"/>. The format has no checksum.</summary>
    public static object? ReadLegacy(string path)
    {
        using var f = File.OpenRead(path);
        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        var pending = new List<PendingTensor>();
        var reader = new PickleReader(f, pid => LoadStorage(pid, storages), (g, args) => Reduce(g, args, pending), PickleGlobals.IsAllowed);
        if (reader.Load() is not System.Numerics.BigInteger magic || magic != MagicNumber)
            throw new InvalidDataException("not a legacy torch.save file (magic number differs)");
        var protocol = reader.Load();
        if (protocol is not long p || p != 1001) throw new InvalidDataException($"unsupported legacy protocol version {protocol}");
        var sysInfo = reader.Load() as Dictionary<object, object?>;
        if (sysInfo?.GetValueOrDefault("little_endian") is false) throw new InvalidDataException("big-endian checkpoints are not supported");
        var result = reader.Load();
        var keys = reader.Load() as List<object?> ?? throw new InvalidDataException("storage key list missing");
        using var br = new BinaryReader(f, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            foreach (var k in keys)
            {
                if (k is not string key || !storages.TryGetValue(key, out var storage))
                    throw new InvalidDataException($"storage key {k} is not one the pickle refers to");
                if (storage.Data is not null) throw new InvalidDataException($"storage {key} is listed twice");
                var count = br.ReadInt64();
                long left = f.Length - f.Position;
                if (count < 0 || count > left / storage.ElementSize)
                    throw new InvalidDataException($"storage {key} claims {count:N0} {storage.DType} elements at byte {f.Position - 8:N0}, but only {left:N0} bytes remain");
                storage.Data = empty([count], storage.DType);
                storage.Data.ReadBytesFromStream(f);
            }
        }
        catch
        {
            foreach (var st in storages.Values) st.Data?.Dispose();
            throw;
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
                var storage = (Storage)t.Storage;
                var data = storage.Data ?? throw new InvalidDataException($"a tensor refers to storage {storage.Key}, which was not written");
                CheckView(t, data.NumberOfElements, storage.Key);
                // Copy out of the shared storage so that each tensor owns contiguous memory.
                using var view = data.as_strided(t.Size, t.Stride, t.Offset);
                t.Value = view.clone();
            }
        }
        catch
        {
            foreach (var t in pending) t.Value?.Dispose();
            throw;
        }
        finally
        {
            foreach (var s in storages.Values) s.Data?.Dispose();
        }
    }

    /// <summary>
    /// A tensor's view must lie inside its storage, and (since each tensor is copied out) hold no more
    /// elements than the storage does: a state dict has no expanded views, and a claim beyond the
    /// storage would allocate what the file does not hold.
    /// </summary>
    private static void CheckView(PendingTensor t, long storageElements, string key)
    {
        string View() => $"tensor [{string.Join(", ", t.Size)}] (stride [{string.Join(", ", t.Stride)}], offset {t.Offset}) of storage {key} ({storageElements:N0} elements)";
        if (t.Size.Length != t.Stride.Length || t.Size.Length > 64 || t.Offset < 0 || t.Size.Any(d => d < 0) || t.Stride.Any(d => d < 0))
            throw new InvalidDataException($"malformed {View()}");
        if (t.Size.Contains(0)) return; // an empty tensor reads nothing
        if (t.Offset >= storageElements) throw new InvalidDataException($"{View()} starts outside its storage");
        long numel = 1, last = t.Offset; // last: the highest element index the view reaches (kept below storageElements)
        for (int i = 0; i < t.Size.Length; i++)
        {
            if (t.Size[i] > storageElements / numel) throw new InvalidDataException($"{View()} holds more elements than its storage");
            numel *= t.Size[i];
            if (t.Stride[i] > 0 && t.Size[i] - 1 > (storageElements - 1 - last) / t.Stride[i])
                throw new InvalidDataException($"{View()} reaches outside its storage");
            last += (t.Size[i] - 1) * t.Stride[i];
        }
    }

    private static Storage LoadStorage(object? pid, Dictionary<string, Storage> storages)
    {
        // ('storage', storage_type, root_key, location, numel, view_metadata)
        if (pid is not object?[] { Length: >= 5 } t || t[0] as string != "storage" || t[1] is not PyGlobal type || t[2] is not string key)
            throw new InvalidDataException("unknown persistent id in the checkpoint's pickle");
        if (t.Length > 5 && t[5] is not null)
            throw new InvalidDataException("storage views (PyTorch < 0.4 checkpoints) are not supported");
        if (!storages.TryGetValue(key, out var s))
        {
            var (dtype, size) = DTypeOf(type.Name);
            s = new Storage(key, dtype, size);
            storages[key] = s;
        }
        else if (s.DType != DTypeOf(type.Name).DType)
            throw new InvalidDataException($"storage {key} is named with two element types");
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
                if (args is not [Storage storage, long offset, object?[] size, object?[] stride, ..])
                    throw new InvalidDataException($"{g.FullName} with arguments other than (storage, offset, size, stride, …)");
                var t = new PendingTensor(storage, offset, Longs(size), Longs(stride));
                pending.Add(t);
                return t;
            }
            case "torch._utils._rebuild_parameter":
                return args.Length > 0 ? args[0] : throw new InvalidDataException("_rebuild_parameter without arguments");
            default:
                return new PyOpaque(g, args);
        }
    }

    private static long[] Longs(object?[] tuple) =>
        tuple.Select(o => o is long l ? l : throw new InvalidDataException("a tensor's size or stride holds a non-integer")).ToArray();

    private static (ScalarType DType, int Size) DTypeOf(string storage) => storage switch
    {
        "FloatStorage" => (ScalarType.Float32, 4),
        "DoubleStorage" => (ScalarType.Float64, 8),
        "HalfStorage" => (ScalarType.Float16, 2),
        "BFloat16Storage" => (ScalarType.BFloat16, 2),
        "LongStorage" => (ScalarType.Int64, 8),
        "IntStorage" => (ScalarType.Int32, 4),
        "ShortStorage" => (ScalarType.Int16, 2),
        "CharStorage" => (ScalarType.Int8, 1),
        "ByteStorage" => (ScalarType.Byte, 1),
        "BoolStorage" => (ScalarType.Bool, 1),
        _ => throw new InvalidDataException($"unsupported storage type {storage}"),
    };
}
