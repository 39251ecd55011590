namespace LogitStd.Shell;

/// <summary>
/// The one place exit codes are decided. Commands return 0 or throw; the exception's base says whose
/// fault it is:
/// <list type="bullet">
/// <item>2 — <see cref="UsageException"/>: the command line (and what it names) must change;</item>
/// <item>1 — <see cref="InputException"/>, and the <see cref="IOException"/> or
/// <see cref="UnauthorizedAccessException"/> that no command anticipated, and a native library that
/// cannot load: a file or the machine is at fault (a damaged checkpoint, an unwritable folder, a full disk);</item>
/// <item>130 — <see cref="RunInterruptedException"/>: stopped by the user, resumable;</item>
/// <item>70 (EX_SOFTWARE) — anything else, an <see cref="ArgumentException"/> included: a defect of LogitStd.</item>
/// </list>
/// </summary>
public static class ExitCodes
{
    public const int Usage = 2;
    public const int InputOrMachine = 1;
    public const int Interrupted = 130;
    public const int Defect = 70;

    /// <summary>The exit code of a command that threw <paramref name="e"/>, and the lines to print on stderr.</summary>
    public static (int Code, IReadOnlyList<string> Lines) Of(Exception e) => e switch
    {
        UsageException u => (Usage, u.Problems.Select(p => $"error: {p}").ToList()),
        InputException => (InputOrMachine, [$"error: {e.Message}"]),
        // A fault of the machine that no command anticipated (.NET names the path in these).
        IOException or UnauthorizedAccessException => (InputOrMachine, [$"error: {e.Message}"]),
        RunInterruptedException => (Interrupted, [e.Message]),
        _ when Platform.NativeLoadFailure.Describe(e) is { } message => (InputOrMachine, [$"error: {message}"]),
        _ => (Defect,
        [
            $"error: internal error ({e.GetType().Name}): {e.Message}",
            "This is a LogitStd defect; please report it with the trace below.",
            e.ToString(),
        ]),
    };

    /// <summary>Runs a command: its 0, or the code of what it threw, with the message written to <paramref name="stderr"/>.</summary>
    public static int Run(Func<int> command, TextWriter stderr)
    {
        try
        {
            return command();
        }
        catch (Exception e)
        {
            var (code, lines) = Of(e);
            foreach (var line in lines) stderr.WriteLine(line);
            return code;
        }
    }
}
