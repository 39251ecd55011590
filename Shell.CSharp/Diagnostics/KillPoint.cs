using System.Runtime.InteropServices;

namespace LogitStd.Shell.Diagnostics;

/// <summary>
/// Named places where the kill tests stop the process as <c>kill -9</c> would: with
/// <c>LOGITSTD_KILL_AT=point:n</c> in the environment the process sends itself SIGKILL the n-th time
/// it reaches <c>point</c> (<c>step</c>: before a training step; <c>eval</c>: before an evaluation
/// batch; <c>write</c>: inside an atomic write, after the temporary file is written and before it is
/// renamed; <c>analysis</c>: before the analysis files). Without the variable, reaching a point costs
/// one comparison. The tests also kill at random times from outside; these points reach the windows
/// a timer rarely hits.
/// </summary>
public static class KillPoint
{
    public const string Variable = "LOGITSTD_KILL_AT";

    static readonly (string Name, int Count)? Target = Parse(Environment.GetEnvironmentVariable(Variable));
    static int hits;

    /// <summary>Marks that the process has reached <paramref name="point"/>.</summary>
    public static void Reach(string point)
    {
        if (Target is not { } t || t.Name != point) return;
        if (Interlocked.Increment(ref hits) == t.Count) kill(Environment.ProcessId, 9);
    }

    static (string, int)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split(':');
        return parts.Length == 2 && int.TryParse(parts[1], out var n) && n > 0 ? (parts[0], n) : null;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
