namespace LogitStd.Shell.Persistence;

/// <summary>
/// Atomic file replacement: the content goes to a temporary file in the target's directory, is flushed
/// to disk, and is then renamed over the target, so a crash never leaves a half-written checkpoint
/// (a rename within one file system is atomic on POSIX).
/// </summary>
internal static class Atomic
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
