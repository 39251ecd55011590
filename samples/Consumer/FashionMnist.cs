using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>Fashion-MNIST from its four gzipped IDX files (`train-*`, `t10k-*`): images as normalised
/// float rows [N, 784], labels as int64 [N]. A sample's own reader, so that it needs nothing but the
/// LogitStd package; a bad file is an <see cref="InvalidDataException"/> naming it.</summary>
sealed class FashionMnist(Tensor images, Tensor labels) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor Labels { get; } = labels;
    public long Count => Labels.shape[0];

    public static FashionMnist Load(string folder, string split)
    {
        var images = ReadIdx(Path.Combine(folder, $"{split}-images-idx3-ubyte.gz"), 0x803, 3);
        var labels = ReadIdx(Path.Combine(folder, $"{split}-labels-idx1-ubyte.gz"), 0x801, 1);
        if (images.Dims[0] != labels.Dims[0])
            throw new InvalidDataException($"{folder}: {split} has {images.Dims[0]} images but {labels.Dims[0]} labels");
        // The dataset's mean and std (0.2860, 0.3530), as the classic Fashion-MNIST transforms use.
        var x = (tensor(images.Bytes, dtype: uint8).reshape(images.Dims[0], 784).to_type(float32) / 255f - 0.2860f) / 0.3530f;
        var y = tensor(labels.Bytes, dtype: uint8).to_type(int64);
        return new FashionMnist(x, y);
    }

    /// <summary>Shuffled mini-batches (a seeded permutation), each indexed from the whole set.</summary>
    public IEnumerable<(Tensor Images, Tensor Labels)> Batches(int size, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var order = randperm(Count, generator: generator);
        for (long start = 0; start < Count; start += size)
        {
            using var index = order.narrow(0, start, Math.Min(size, Count - start));
            yield return (Images.index_select(0, index), Labels.index_select(0, index));
        }
    }

    record Idx(int[] Dims, byte[] Bytes);

    static Idx ReadIdx(string path, int magic, int rank)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found (dotnet cake --target=Data fetches Fashion-MNIST)", path);
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new BinaryReader(gz);
        int BigEndian() => System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(reader.ReadBytes(4));
        int found = BigEndian();
        if (found != magic) throw new InvalidDataException($"{path}: IDX magic 0x{found:x}, expected 0x{magic:x}");
        var dims = Enumerable.Range(0, rank).Select(_ => BigEndian()).ToArray();
        long size = dims.Aggregate(1L, (a, d) => a * d);
        if (dims.Any(d => d <= 0) || size > 100_000_000) throw new InvalidDataException($"{path}: implausible dimensions {string.Join(" x ", dims)}");
        var bytes = reader.ReadBytes((int)size);
        if (bytes.Length != size) throw new InvalidDataException($"{path}: truncated, {bytes.Length} of {size} bytes");
        return new Idx(dims, bytes);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
