namespace LogitStd.Shell.Runs;

/// <summary>A run-folder file that is missing or does not follow <c>docs/run-folder.md</c>. The message
/// always starts with the file (and the 1-based line, where one applies) so the user can open it.</summary>
public sealed class RunFolderException : InputException
{
    /// <summary>Creates the error for <paramref name="file"/>, optionally at a 1-based <paramref name="line"/>.</summary>
    public RunFolderException(string file, int? line, string problem)
        : base(line is { } l ? $"{file}:{l}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    /// <summary>The offending file.</summary>
    public string File { get; }

    /// <summary>The 1-based line in <see cref="File"/>, or null when the problem is the whole file.</summary>
    public int? Line { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
