using LogitStd.Shell.Diagnostics;

namespace LogitStd.Shell.Persistence;

/// <summary>
/// The one atomic file replacement of the program: the content goes to a temporary file in the
/// target's directory, is flushed to disk, and is then renamed over the target, so a crash or a kill
/// never leaves a half-written file (a rename within one file system is atomic on POSIX), and a write
/// that fails (a full disk, an unwritable folder) leaves the previous file as it was and raises
/// <see cref="OutputWriteException"/> naming the target.
/// </summary>
public static class Atomic
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            KillPoint.Reach("write");
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new OutputWriteException(full, e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no byte-order mark) atomically.</summary>
    public static void WriteText(string path, string text) =>
        Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            w.Write(text);
        });

    /// <summary>Replaces <paramref name="target"/> with a copy of <paramref name="source"/> atomically.</summary>
    public static void Copy(string source, string target) =>
        Write(target, s =>
        {
            using var input = File.OpenRead(source);
            input.CopyTo(s);
        });

    static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
