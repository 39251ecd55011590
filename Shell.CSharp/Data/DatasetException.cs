namespace LogitStd.Shell.Data;

/// <summary>
/// A dataset file is missing, truncated or malformed. The message names the file, the record or
/// byte offset where that applies, and what is wrong; the CLI prints it as <c>error: ...</c> and
/// exits with code 1.
/// </summary>
public sealed class DatasetException : InputException
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    public DatasetException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete, user-facing message and the low-level cause.</summary>
    public DatasetException(string message, Exception inner) : base(message, inner) { }
}
