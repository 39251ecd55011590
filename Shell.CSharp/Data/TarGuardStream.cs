using System.Text;

namespace LogitStd.Shell.Data;

/// <summary>
/// Sits between the gzip stream and .NET's <c>TarReader</c>, which reads a metadata entry (PAX
/// extended attributes, GNU long names) into one buffer sized from its header. This stream reads every
/// header block as it passes and refuses a metadata entry claiming more than
/// <see cref="MaxMetadataBytes"/> before the reader sees that header, so a damaged size field cannot
/// make it allocate gigabytes. It follows the archive's layout (header, data padded to 512 bytes,
/// a PAX <c>size</c> record overriding the next header's); where it loses track (a header that does
/// not parse) it stops checking and leaves the error to <c>TarReader</c>.
/// </summary>
internal sealed class TarGuardStream(Stream inner, string path) : Stream
{
    private const int Block = 512;

    /// <summary>Metadata entries are a few hundred bytes; more than this is not an archive to trust.</summary>
    public const long MaxMetadataBytes = 1 << 20;

    private readonly byte[] header = new byte[Block];
    private long position, nextHeader;
    private MemoryStream? pax;          // the content of a PAX entry being passed, to find its size record
    private long paxEnd = -1, paxSize = -1;
    private bool lost;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        for (int i = 0; i < n && !lost; i++, position++) Inspect(buffer[i]);
        return n;
    }

    private void Inspect(byte b)
    {
        if (pax is not null && position < paxEnd) pax.WriteByte(b);
        if (position == paxEnd && pax is not null) { paxSize = PaxSize(pax.ToArray()); pax = null; }
        if (position < nextHeader || position >= nextHeader + Block) return;
        header[position - nextHeader] = b;
        if (position - nextHeader < Block - 1) return;
        // A whole header block has passed: check it before the reader gets its last byte.
        if (header.All(x => x == 0)) { nextHeader += Block; return; }
        long size = paxSize >= 0 ? paxSize : ParseSize(header.AsSpan(124, 12));
        paxSize = -1;
        if (size < 0 || size > 1L << 40) { lost = true; return; }
        byte type = header[156];
        if (type is (byte)'x' or (byte)'g' or (byte)'L' or (byte)'K' && size > MaxMetadataBytes)
            throw new DatasetException($"{path}: corrupt archive: a tar metadata entry at byte {nextHeader:N0} claims {size:N0} bytes");
        if (type == (byte)'x') { pax = new MemoryStream(); paxEnd = nextHeader + Block + size; }
        nextHeader += Block + (size + Block - 1) / Block * Block;
    }

    /// <summary>A header's size field: octal digits (space or NUL padded), or GNU's base-256 form; -1 when neither.</summary>
    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            long v = 0;
            for (int i = 1; i < field.Length; i++) { if (v > long.MaxValue >> 8) return -1; v = (v << 8) | field[i]; }
            return v;
        }
        long octal = 0;
        bool any = false;
        foreach (var c in field)
        {
            if (c is (byte)' ' or 0) { if (any) break; continue; }
            if (c is < (byte)'0' or > (byte)'7' || octal > long.MaxValue >> 3) return -1;
            octal = octal * 8 + (c - '0');
            any = true;
        }
        return octal;
    }

    /// <summary>The <c>size</c> record of a PAX extended header (<c>"%d size=%d\n"</c>), or -1.</summary>
    private static long PaxSize(byte[] records)
    {
        foreach (var line in Encoding.UTF8.GetString(records).Split('\n'))
        {
            int eq = line.IndexOf(" size=", StringComparison.Ordinal);
            if (eq >= 0 && long.TryParse(line.AsSpan(eq + 6), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)) return v;
        }
        return -1;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
