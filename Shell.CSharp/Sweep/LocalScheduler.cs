using System.Diagnostics;
using System.Globalization;

namespace LogitStd.Shell.Sweep;

/// <summary>
/// Runs a plan's runs on this machine: at most P child processes of this program at once, each
/// <c>sweep-task --plan FILE --index I</c> with its output appended to <c>OUT/sweep/logs/NAME.log</c>.
/// Ctrl+C reaches the children too (one process group); each keeps its last epoch's checkpoint.
/// </summary>
public static class LocalScheduler
{
    /// <summary>Runs <paramref name="indices"/> of the plan; returns the indices whose task failed (non-zero exit).</summary>
    public static IReadOnlyList<int> Run(SweepPlan plan, string planFile, IReadOnlyList<int> indices, int parallel, TextWriter stdout)
    {
        var logDir = SweepPlan.LogDir(plan.Out);
        Directory.CreateDirectory(logDir);
        var failed = new List<int>();
        var gate = new object();
        int next = 0, done = 0;
        void Worker()
        {
            while (true)
            {
                int i;
                lock (gate)
                {
                    if (next >= indices.Count) return;
                    i = indices[next++];
                }
                var run = plan.Runs[i];
                var log = Path.Combine(logDir, run.Name + ".log");
                var watch = Stopwatch.StartNew();
                lock (gate) stdout.WriteLine($"  start  {run.Name}  (log {log})");
                int code = RunChild(plan.Program, ["sweep-task", "--plan", planFile, "--index", i.ToString(CultureInfo.InvariantCulture)], log);
                lock (gate)
                {
                    done++;
                    if (code != 0) failed.Add(i);
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  [{done}/{indices.Count}] {run.Name}: {(code == 0 ? "done" : $"FAILED (exit {code}; see {log})")}  {watch.Elapsed.TotalSeconds:F1} s"));
                }
            }
        }
        var threads = Enumerable.Range(0, Math.Min(parallel, indices.Count)).Select(_ => new Thread(Worker)).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        failed.Sort();
        return failed;
    }

    static int RunChild(IReadOnlyList<string> program, IReadOnlyList<string> args, string log)
    {
        var info = new ProcessStartInfo(program[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in program.Skip(1).Concat(args)) info.ArgumentList.Add(a);
        using var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        var sync = new object();
        void Append(string? line) { if (line is not null) lock (sync) writer.WriteLine(line); }
        using var child = new Process { StartInfo = info };
        child.OutputDataReceived += (_, e) => Append(e.Data);
        child.ErrorDataReceived += (_, e) => Append(e.Data);
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        child.WaitForExit();
        return child.ExitCode;
    }
}
