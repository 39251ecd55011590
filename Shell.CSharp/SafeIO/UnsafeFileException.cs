namespace LogitStd.Shell.SafeIO;

/// <summary>A file the program refuses to read or write: not a regular file (a FIFO, a device, a link
/// leading out of its folder), larger than its format allows, a link loop. Names the file.</summary>
public sealed class UnsafeFileException(string path, string problem) : InputException($"{path}: {problem}")
{
    /// <summary>The refused file or folder.</summary>
    public string Path { get; } = path;

    /// <summary>What is wrong, without the file (for errors that name the file themselves).</summary>
    public string Problem { get; } = problem;
}
