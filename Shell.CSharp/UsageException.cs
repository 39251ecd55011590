namespace LogitStd.Shell;

/// <summary>
/// The base of every error that is the command line's fault: a flag the command does not take, a value
/// out of range, an unknown model, an output folder that is not one <c>--out</c> may write into, flags
/// that contradict the experiment. The message says what to change; the program prints it as
/// <c>error: …</c> and exits with code 2 (<see cref="ExitCodes"/>).
/// </summary>
public class UsageException : Exception
{
    public UsageException(string message) : base(message) => Problems = [message];

    /// <summary>Several problems at once (an experiment's checks): one <c>error:</c> line each.</summary>
    public UsageException(IReadOnlyList<string> problems) : base(string.Join("; ", problems)) => Problems = problems;

    /// <summary>What is wrong, one line per problem.</summary>
    public IReadOnlyList<string> Problems { get; }
}

/// <summary>A run stopped by Ctrl+C (or a test's interrupt) after its last finished epoch was saved: exit 130.
/// The message says where the checkpoint is and which command continues the run.</summary>
public sealed class RunInterruptedException(string message) : Exception(message);
