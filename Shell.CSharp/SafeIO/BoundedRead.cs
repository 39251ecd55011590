using System.Text;

namespace LogitStd.Shell.SafeIO;

/// <summary>
/// Opens and reads files that come from users and strangers: regular files only (a FIFO would block
/// the open, a device such as <c>/dev/zero</c> would never end), and no larger than the caller's
/// bound, checked before a byte is read. A symbolic link is followed to its target, which must itself
/// be a regular file.
/// </summary>
public static class BoundedRead
{
    /// <summary>A stream over <paramref name="path"/> after checking its kind and size.</summary>
    /// <exception cref="UnsafeFileException">Not a regular file, or larger than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static FileStream Open(string path, long maxBytes, string what = "file")
    {
        var (kind, size) = FileKinds.Of(path, followLinks: true);
        switch (kind)
        {
            case FileKind.Missing: throw new FileNotFoundException($"{path}: no such {what}", path);
            case FileKind.Directory: throw new UnsafeFileException(path, $"a folder, not a {what}");
            case FileKind.Special: throw new UnsafeFileException(path, $"not a regular file (a FIFO, device or socket), so not a {what}");
        }
        if (size > maxBytes) throw new UnsafeFileException(path, $"{size:N0} bytes, more than the {maxBytes:N0} a {what} may have");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    /// <summary>The whole file as bytes (see <see cref="Open"/>).</summary>
    public static byte[] Bytes(string path, long maxBytes, string what = "file")
    {
        using var stream = Open(path, maxBytes, what);
        using var copy = new MemoryStream();
        // Read at most one byte past the bound: a file that grew after the check is refused too.
        CopyAtMost(stream, copy, maxBytes + 1);
        if (copy.Length > maxBytes) throw new UnsafeFileException(path, $"more than the {maxBytes:N0} bytes a {what} may have");
        return copy.ToArray();
    }

    /// <summary>The whole file as UTF-8 text (see <see cref="Open"/>).</summary>
    public static string Text(string path, long maxBytes, string what = "file") =>
        new UTF8Encoding(false).GetString(Bytes(path, maxBytes, what)).TrimStart('\uFEFF');

    static void CopyAtMost(Stream from, Stream to, long limit)
    {
        var buffer = new byte[1 << 16];
        long left = limit;
        int n;
        while (left > 0 && (n = from.Read(buffer, 0, (int)Math.Min(buffer.Length, left))) > 0)
        {
            to.Write(buffer, 0, n);
            left -= n;
        }
    }
}
