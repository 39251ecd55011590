using System.IO.Compression;

namespace LogitStd.Shell.Persistence;

/// <summary>
/// Reading the members of a checkpoint zip (the project's own, or <c>torch.save</c>'s) so that nothing
/// damaged loads silently: a member's sizes are checked against the file before any buffer is sized
/// from them, its bytes are counted, and its CRC-32 is recomputed and compared with the one the
/// archive records (.NET's reader does neither). Every failure is a <see cref="CheckpointFormatException"/>
/// naming the file and the member.
/// </summary>
public static class ZipMember
{
    /// <summary>Deflate expands at most about 1032:1; a member claiming more than this ratio is not real data.</summary>
    private const long MaxExpansion = 1100;

    /// <summary>Opens <paramref name="path"/> as a zip archive; a file that is not one is a <see cref="CheckpointFormatException"/>.</summary>
    public static ZipArchive OpenArchive(string path)
    {
        Checkpoints.EnsureRegularFile(path);
        ZipArchive? zip = null;
        try
        {
            zip = ZipFile.OpenRead(path);
            // The central directory is read lazily, by the first look at the entries: read it here, inside the try.
            _ = zip.Entries.Count;
            return zip;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or NotSupportedException)
        {
            zip?.Dispose();
            throw new CheckpointFormatException($"'{path}' is not a readable zip archive: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks the sizes <paramref name="entry"/> claims: its stored bytes fit in the file, and its
    /// uncompressed length is one that many stored bytes can hold. Returns the uncompressed length.
    /// </summary>
    public static long CheckedLength(ZipArchiveEntry entry, string path)
    {
        long fileLength = new FileInfo(path).Length;
        if (entry.CompressedLength < 0 || entry.CompressedLength > fileLength)
            throw Bad(path, entry, $"claims {entry.CompressedLength:N0} stored bytes in a file of {fileLength:N0}");
        if (entry.Length < 0 || entry.Length > Math.Max(1, entry.CompressedLength) * MaxExpansion)
            throw Bad(path, entry, $"claims {entry.Length:N0} bytes from {entry.CompressedLength:N0} stored bytes");
        return entry.Length;
    }

    /// <summary>Reads the whole member, checked (sizes and CRC-32), refusing one longer than <paramref name="maxBytes"/> (default: <c>Array.MaxLength</c>).</summary>
    public static byte[] ReadAll(ZipArchiveEntry entry, string path, long maxBytes = 0x7FFFFFC7)
    {
        long length = CheckedLength(entry, path);
        if (length > maxBytes) throw Bad(path, entry, $"holds {length:N0} bytes, more than the {maxBytes:N0} this member may have");
        var bytes = new byte[length];
        Read(entry, path, s => s.ReadExactly(bytes));
        return bytes;
    }

    /// <summary>
    /// Hands the member's stream to <paramref name="consume"/>, then checks that it read exactly the
    /// member's length and that the CRC-32 of what it read is the recorded one.
    /// </summary>
    public static void Read(ZipArchiveEntry entry, string path, Action<Stream> consume)
    {
        long length = CheckedLength(entry, path);
        try
        {
            using var inner = entry.Open();
            using var s = new CheckedStream(inner, length);
            consume(s);
            if (s.Position != length) throw Bad(path, entry, $"was read for {s.Position:N0} of its {length:N0} bytes");
            if (s.ReadByte() >= 0) throw Bad(path, entry, $"holds more than the {length:N0} bytes the archive records");
            if (s.Crc != entry.Crc32)
                throw Bad(path, entry, $"is damaged: its CRC-32 is 0x{s.Crc:x8}, the archive records 0x{entry.Crc32:x8}");
        }
        catch (Exception e) when (e is InvalidDataException or IOException && e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw Bad(path, entry, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>Reads every member once, checked, so that a reader which streams the archive itself reads only intact bytes.</summary>
    public static void VerifyAll(ZipArchive zip, string path)
    {
        var buffer = new byte[1 << 16];
        foreach (var entry in zip.Entries)
            Read(entry, path, s => { while (s.Read(buffer, 0, buffer.Length) > 0) { } });
    }

    private static CheckpointFormatException Bad(string path, ZipArchiveEntry entry, string problem, Exception? inner = null) =>
        new($"'{path}': zip member {entry.FullName} {problem}", inner);

    /// <summary>Counts and checksums what is read, and refuses to read past the recorded length.</summary>
    private sealed class CheckedStream(Stream inner, long length) : Stream
    {
        private long position;

        public uint Crc { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // One byte beyond the recorded length is allowed through, so that a longer member is noticed.
            long allowed = length + 1 - position;
            if (allowed <= 0) return 0;
            if (buffer.Length > allowed) buffer = buffer[..(int)allowed];
            int n = inner.Read(buffer);
            if (position + n > length) throw new InvalidDataException($"more bytes than the {length:N0} the archive records");
            Crc = Crc32.Append(Crc, buffer[..n]);
            position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
