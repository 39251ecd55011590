using System.Buffers.Binary;
using System.IO.Compression;

namespace LogitStd.Shell.Data;

/// <summary>
/// Reads unsigned-byte IDX files (the MNIST / Fashion-MNIST format), gzipped or plain: a big-endian
/// magic number (<c>0x00000803</c> for images, <c>0x00000801</c> for labels), big-endian dimension
/// sizes, then exactly that many bytes. Anything else — wrong magic, fewer bytes than the header
/// promises, bytes after the data, a broken gzip stream — is a <see cref="DatasetException"/>.
/// </summary>
public static class IdxFile
{
    /// <summary>Magic number of a uint8 IDX file with three dimensions (images × rows × columns).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of a uint8 IDX file with one dimension (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file: returns the pixels (count × rows × cols bytes) and the dimensions.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        using var stream = OpenDecompressed(path);
        var header = ReadHeader(stream, path, ImagesMagic, 3);
        int count = header[0], rows = header[1], cols = header[2];
        if (rows <= 0 || cols <= 0 || rows > 65536 || cols > 65536)
            throw new DatasetException($"{path}: implausible image size {rows}×{cols} in the header");
        long bytes = (long)count * rows * cols;
        if (bytes > Array.MaxLength)
            throw new DatasetException($"{path}: header claims {count:N0} images of {rows}×{cols}, more than one array can hold");
        var pixels = ReadBody(stream, path, 16, (int)bytes, $"{count:N0} images of {rows}×{cols}");
        return (pixels, count, rows, cols);
    }

    /// <summary>Reads a label file and checks every label is below <paramref name="classes"/>.</summary>
    public static int[] ReadLabels(string path, int classes)
    {
        using var stream = OpenDecompressed(path);
        int count = ReadHeader(stream, path, LabelsMagic, 1)[0];
        var raw = ReadBody(stream, path, 8, count, $"{count:N0} labels");
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (raw[i] >= classes)
                throw new DatasetException($"{path}: record {i} (byte offset {8 + i} of the decompressed data): label {raw[i]} out of range 0..{classes - 1}");
            labels[i] = raw[i];
        }
        return labels;
    }

    /// <summary>Opens the file, transparently decompressing it when it starts with the gzip magic bytes.</summary>
    static Stream OpenDecompressed(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: missing file");
        if (SafeIO.FileKinds.Of(path, followLinks: true).Kind != SafeIO.FileKind.Regular)
            throw new DatasetException($"{path}: not a regular file (a FIFO or a device), so not an IDX file");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
                return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    static int[] ReadHeader(Stream stream, string path, int expectedMagic, int dimensions)
    {
        var header = new byte[4 + 4 * dimensions];
        int got = ReadFully(stream, path, header);
        if (got < header.Length)
            throw new DatasetException($"{path}: truncated: the IDX header needs {header.Length} bytes, the file has {got}");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
            throw new DatasetException($"{path}: wrong magic number 0x{magic:X8} at offset 0, expected 0x{expectedMagic:X8} ({(expectedMagic == ImagesMagic ? "uint8 images, 3 dimensions" : "uint8 labels, 1 dimension")})");
        var dims = new int[dimensions];
        for (int d = 0; d < dimensions; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * d));
            if (dims[d] < 0) throw new DatasetException($"{path}: negative dimension {dims[d]} at offset {4 + 4 * d}");
        }
        return dims;
    }

    /// <summary>
    /// Reads the <paramref name="bytes"/> the header promises. The header is not trusted with the
    /// allocation: a plain file must be that long before the buffer is made, and a gzipped one (whose
    /// decompressed length is only known by reading it) fills a buffer that grows with what arrives.
    /// </summary>
    static byte[] ReadBody(Stream stream, string path, int headerBytes, int bytes, string what)
    {
        if (stream is FileStream plain && plain.Length - headerBytes < bytes)
            throw Truncated(path, headerBytes, bytes, plain.Length - headerBytes, what);
        var body = new byte[Math.Min(bytes, GrowthStep)];
        int got = 0;
        while (true)
        {
            got += ReadFully(stream, path, body.AsSpan(got));
            if (got < body.Length || body.Length == bytes) break;
            Array.Resize(ref body, (int)Math.Min(bytes, 2L * body.Length));
        }
        if (got < bytes) throw Truncated(path, headerBytes, bytes, got, what);
        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(stream, path, probe) != 0)
            throw new DatasetException($"{path}: unexpected data after the {what} the header promises (offset {headerBytes + bytes:N0})");
        return body;
    }

    /// <summary>The first buffer for a body read from a gzip stream; it doubles as the data keeps coming.</summary>
    const int GrowthStep = 16 << 20;

    static DatasetException Truncated(string path, int headerBytes, int bytes, long got, string what) =>
        new($"{path}: truncated: the header promises {what} ({bytes:N0} bytes after the {headerBytes}-byte header) but the data ends after {got:N0} bytes (offset {headerBytes + got:N0})");

    /// <summary>Reads until the buffer is full or the stream ends; a corrupt gzip stream becomes a <see cref="DatasetException"/>.</summary>
    static int ReadFully(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new DatasetException($"{path}: corrupt gzip data: {e.Message}", e);
        }
    }
}
