namespace LogitStd.Shell;

/// <summary>
/// The base of every error that is the input's or the machine's fault, not the program's: a file that
/// is missing, truncated, corrupted or of the wrong kind, a folder that cannot be written, a full disk.
/// The message names the file and what is wrong; the program prints it as <c>error: …</c> and exits
/// with code 1 (<see cref="Program"/>). Anything else that escapes a command is a defect (exit 70).
/// </summary>
public abstract class InputException : Exception
{
    protected InputException(string message) : base(message) { }

    protected InputException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A write that the machine refused (full disk, read-only or unwritable folder, quota): names
/// the file. Files written before it, and the file it was replacing, are intact (writes are atomic).</summary>
public sealed class OutputWriteException(string path, Exception inner)
    : InputException($"cannot write {path}: {inner.Message}", inner)
{
    /// <summary>The file that could not be written.</summary>
    public string Path { get; } = path;
}

/// <summary>A file the command line names does not exist: names it and what it was to be.</summary>
public sealed class MissingFileException(string what, string path)
    : InputException($"{what} {path} not found")
{
    /// <summary>The missing file.</summary>
    public string Path { get; } = path;
}

/// <summary>The machine lacks what the command needs (a CUDA device that is not there): exit 1.</summary>
public sealed class MachineException(string message) : InputException(message);

/// <summary>An input file that does not fit what the command gives it to (an image of another size or
/// channel count than the model takes): names the file and both shapes.</summary>
public sealed class InputMismatchException(string message) : InputException(message);
