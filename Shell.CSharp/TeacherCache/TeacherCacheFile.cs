using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using LogitStd.Shell.Diagnostics;
using LogitStd.Shell.Persistence;
using TorchSharp;

namespace LogitStd.Shell.TeacherCache;

/// <summary>
/// The one owner of the teacher-cache file format (<c>.tlc</c>): a frozen teacher's float32 logits
/// for every (image, view) of a split, memory-mapped for reading.
/// <code>
/// 0      8   magic "LSTDTLC1"
/// 8      4   uint32 LE: length L of the header JSON (at most 64 KiB)
/// 12     32  SHA-256 of the header JSON
/// 44     L   header JSON: the <see cref="TeacherCacheKey"/>, every field by name
/// T          (T = 44 + L rounded up to 4 KiB) the chunk table: per chunk, uint32 LE state
///            (0x454E4F44 "DONE" once its logits are on disk, else 0) and uint32 LE CRC-32 of its bytes
/// D          (D = end of the table rounded up to 4 KiB) float32 LE logits [views][images][classes]
/// D + views · images · classes · 4 = the file's length exactly
/// </code>
/// A chunk is up to <see cref="TeacherCacheKey.ChunkImages"/> consecutive images of one view. The file
/// is created whole by an atomic write (header, an empty table, sparse zeros); a chunk's logits are
/// written and flushed to disk before its table entry says DONE, so a kill or a crash while filling
/// never leaves a chunk marked valid that is not. Opening checks the header checksum, the key, the
/// length and every DONE chunk's CRC: a damaged, truncated or foreign file is refused by name.
/// </summary>
public sealed class TeacherCacheFile : IDisposable
{
    const uint Done = 0x454E4F44;
    const int Align = 4096, HeaderStart = 44, MaxHeader = 64 * 1024;
    static ReadOnlySpan<byte> Magic => "LSTDTLC1"u8;

    readonly MemoryMappedFile map;
    readonly MemoryMappedViewAccessor view;
    readonly bool[] done;
    readonly long tableOffset;

    TeacherCacheFile(string path, TeacherCacheKey key, int headerLength, bool[] done, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        Key = key;
        tableOffset = TableOffset(headerLength);
        DataOffset = DataStart(key, headerLength);
        this.done = done;
        this.map = map;
        this.view = view;
    }

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>What the file holds logits of.</summary>
    public TeacherCacheKey Key { get; }

    /// <summary>Where the logits start.</summary>
    public long DataOffset { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length => DataOffset + (long)Key.Views * Key.Count * Key.Classes * 4;

    /// <summary>Chunks per view, and in all.</summary>
    public static int ChunksPerView(TeacherCacheKey k) => (k.Count + k.ChunkImages - 1) / k.ChunkImages;
    static int Chunks(TeacherCacheKey k) => ChunksPerView(k) * k.Views;

    /// <summary>How many chunks hold their logits.</summary>
    public int DoneChunks => done.Count(d => d);

    /// <summary>Whether every (image, view) has its logits.</summary>
    public bool Complete => done.All(d => d);

    static long TableOffset(int headerLength) => RoundUp(HeaderStart + headerLength, Align);
    static long DataStart(TeacherCacheKey k, int headerLength) => RoundUp(TableOffset(headerLength) + 8L * Chunks(k), Align);
    static long RoundUp(long n, long a) => (n + a - 1) / a * a;

    /// <summary>Creates an empty cache for <paramref name="key"/> (atomically: a temporary file, renamed into place).</summary>
    public static void Create(string path, TeacherCacheKey key)
    {
        var json = key.ToJson();
        Atomic.Write(path, s =>
        {
            Span<byte> head = stackalloc byte[HeaderStart];
            Magic.CopyTo(head);
            BinaryPrimitives.WriteUInt32LittleEndian(head[8..], (uint)json.Length);
            SHA256.HashData(json).CopyTo(head[12..]);
            s.Write(head);
            s.Write(json);
            s.SetLength(DataStart(key, json.Length) + (long)key.Views * key.Count * key.Classes * 4); // sparse: zeros, table all empty
        });
    }

    /// <summary>Opens and checks a cache file made for <paramref name="expected"/>.</summary>
    /// <exception cref="TeacherCacheException">Truncated, damaged, another format, or another key (the field is named).</exception>
    public static TeacherCacheFile Open(string path, TeacherCacheKey expected)
    {
        var (key, headerLength, done) = ReadChecked(path);
        if (expected.FirstDifference(key) is { } difference)
            throw new TeacherCacheException(path, $"made for another teacher, dataset or transform: {difference}");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new TeacherCacheFile(path, key, headerLength, done, map, view);
    }

    static (TeacherCacheKey Key, int HeaderLength, bool[] Done) ReadChecked(string path)
    {
        if (SafeIO.FileKinds.Of(path, followLinks: true).Kind != SafeIO.FileKind.Regular)
            throw new TeacherCacheException(path, "not a regular file (a FIFO, a device or a folder), so not a teacher cache");
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> head = stackalloc byte[HeaderStart];
        if (s.Length < HeaderStart || s.ReadAtLeast(head, HeaderStart, throwOnEndOfStream: false) < HeaderStart)
            throw new TeacherCacheException(path, $"truncated: {s.Length} bytes, shorter than the {HeaderStart}-byte header start");
        if (!head[..8].SequenceEqual(Magic)) throw new TeacherCacheException(path, "not a teacher cache (no LSTDTLC1 magic)");
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
        if (length == 0 || length > MaxHeader) throw new TeacherCacheException(path, $"the header claims {length} bytes of JSON (1..{MaxHeader})");
        var json = new byte[length];
        if (s.ReadAtLeast(json, json.Length, throwOnEndOfStream: false) < json.Length)
            throw new TeacherCacheException(path, $"truncated inside the header ({s.Length} bytes)");
        if (!SHA256.HashData(json).AsSpan().SequenceEqual(head[12..]))
            throw new TeacherCacheException(path, "the header checksum does not match (the header is damaged)");
        var key = TeacherCacheKey.FromJson(path, json);
        long expectedLength = DataStart(key, json.Length) + (long)key.Views * key.Count * key.Classes * 4;
        if (s.Length != expectedLength)
            throw new TeacherCacheException(path, $"{(s.Length < expectedLength ? "truncated" : "too long")}: {s.Length} bytes, the header says {expectedLength}");
        var table = ReadTable(s, key, json.Length);
        var done = new bool[table.Length];
        var buffer = new byte[key.ChunkImages * key.Classes * 4];
        for (int c = 0; c < table.Length; c++)
        {
            if (table[c].State == 0) continue;
            if (table[c].State != Done) throw new TeacherCacheException(path, $"chunk {c}: state 0x{table[c].State:X8} is neither empty nor DONE");
            var (offset, bytes) = ChunkBytes(key, DataStart(key, json.Length), c);
            s.Position = offset;
            s.ReadExactly(buffer, 0, bytes);
            if (Crc32.Compute(buffer.AsSpan(0, bytes)) != table[c].Crc)
                throw new TeacherCacheException(path, $"chunk {c} (view {c / ChunksPerView(key)}, images from {c % ChunksPerView(key) * key.ChunkImages}): its CRC-32 does not match (the logits are damaged)");
            done[c] = true;
        }
        return (key, json.Length, done);
    }

    static (uint State, uint Crc)[] ReadTable(FileStream s, TeacherCacheKey key, int headerLength)
    {
        var bytes = new byte[8 * Chunks(key)];
        s.Position = TableOffset(headerLength);
        s.ReadExactly(bytes);
        var table = new (uint, uint)[Chunks(key)];
        for (int c = 0; c < table.Length; c++)
            table[c] = (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8 * c)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8 * c + 4)));
        return table;
    }

    /// <summary>Byte offset and length of chunk <paramref name="chunk"/>'s logits.</summary>
    static (long Offset, int Bytes) ChunkBytes(TeacherCacheKey k, long dataOffset, int chunk)
    {
        int perView = ChunksPerView(k), v = chunk / perView, first = chunk % perView * k.ChunkImages;
        int images = Math.Min(k.ChunkImages, k.Count - first);
        return (dataOffset + ((long)v * k.Count + first) * k.Classes * 4, images * k.Classes * 4);
    }

    /// <summary>The chunks still empty: (chunk, view, first image, image count), in file order.</summary>
    public IEnumerable<(int Chunk, int View, int First, int Images)> Missing()
    {
        int perView = ChunksPerView(Key);
        for (int c = 0; c < done.Length; c++)
            if (!done[c])
            {
                int first = c % perView * Key.ChunkImages;
                yield return (c, c / perView, first, Math.Min(Key.ChunkImages, Key.Count - first));
            }
    }

    /// <summary>
    /// Writes one chunk's logits (float32 [images, classes]) through <paramref name="writer"/> (a
    /// read-write stream on this file; the caller holds the fill lock): the logits, flushed to disk,
    /// then the table entry, flushed. A kill between the two leaves the chunk empty.
    /// </summary>
    public void WriteChunk(FileStream writer, int chunk, ReadOnlySpan<float> logits)
    {
        var (offset, bytes) = ChunkBytes(Key, DataOffset, chunk);
        var data = System.Runtime.InteropServices.MemoryMarshal.AsBytes(logits);
        if (data.Length != bytes) throw new ArgumentException($"chunk {chunk} holds {bytes} bytes, got {data.Length}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the cache stores little-endian float32");
        writer.Position = offset;
        writer.Write(data);
        writer.Flush(flushToDisk: true);
        KillPoint.Reach("cache");
        Span<byte> entry = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, Done);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], Crc32.Compute(data));
        writer.Position = tableOffset + 8L * chunk;
        writer.Write(entry);
        writer.Flush(flushToDisk: true);
        done[chunk] = true;
    }

    /// <summary>The cached logits of images <paramref name="indices"/>, each in view <paramref name="views"/>[i]: float32 [B, classes] on the CPU.</summary>
    /// <exception cref="InvalidOperationException">The cache is not complete (fill it first).</exception>
    public torch.Tensor Lookup(IReadOnlyList<int> indices, IReadOnlyList<int> views)
    {
        if (!Complete) throw new InvalidOperationException($"{Path}: {done.Length - DoneChunks} chunks are not filled yet");
        if (indices.Count != views.Count) throw new ArgumentException($"{indices.Count} indices but {views.Count} views");
        int k = Key.Classes;
        var values = new float[indices.Count * k];
        for (int i = 0; i < indices.Count; i++)
        {
            int index = indices[i], v = views[i];
            if ((uint)index >= (uint)Key.Count) throw new ArgumentOutOfRangeException(nameof(indices), index, $"images are 0..{Key.Count - 1}");
            if ((uint)v >= (uint)Key.Views) throw new ArgumentOutOfRangeException(nameof(views), v, $"views are 0..{Key.Views - 1}");
            view.ReadArray(DataOffset + ((long)v * Key.Count + index) * k * 4, values, i * k, k);
        }
        return torch.tensor(values, [indices.Count, k], torch.ScalarType.Float32);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        view.Dispose();
        map.Dispose();
    }
}
