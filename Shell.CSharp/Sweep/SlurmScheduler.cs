using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LogitStd.Shell.Sweep;

/// <summary>sbatch is missing or refused the job.</summary>
public sealed class SlurmException(string message) : InputException(message);

/// <summary>The Slurm resources of every array task.</summary>
public sealed record SlurmResources(int CpusPerTask, int? MaxParallel, string? Partition, string? Gres, string? TimeLimit);

/// <summary>
/// Runs a plan as one Slurm job array: one array task per unfinished run (<c>--array=I,J,...%P</c>),
/// <c>#SBATCH --requeue</c> so a preempted or requeued task starts again and — through
/// <c>sweep-task</c> — continues its run with <c>--resume</c>; per-task logs appended across restarts.
/// </summary>
public static class SlurmScheduler
{
    /// <summary>Single-quoted for bash: inside single quotes every character but the quote itself is data.</summary>
    static string Q(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>Double-quoted for an <c>#SBATCH</c> line, which sbatch splits at blanks outside quotes
    /// (<see cref="UnsafeValue"/> has refused a double quote, a backslash or a # in the value).</summary>
    static string SQ(string s) => "\"" + s + "\"";

    /// <summary>
    /// Why a value that would go into the script is unsafe there, or null. A newline or other control
    /// character would end a comment or an <c>#SBATCH</c> line and start a shell command, so none is
    /// accepted anywhere; the resources (partition, gres, time) are Slurm names and may hold no blanks or
    /// quotes; the paths on <c>#SBATCH</c> lines no double quote, backslash or #. Everything on the command
    /// line is single-quoted besides.
    /// </summary>
    public static string? UnsafeValue(SweepPlan plan, string planFile, SlurmResources r)
    {
        static bool Control(string v) => v.Any(char.IsControl);
        var named = new List<(string What, string Value)>
        {
            ("the plan file", planFile), ("--out", plan.Out), ("the working folder", Directory.GetCurrentDirectory()),
        };
        named.AddRange(plan.Program.Select(p => ("the program", p)));
        foreach (var run in plan.Runs) named.AddRange([($"run {run.Name}'s name", run.Name), ($"run {run.Name}'s folder", run.Dir), ($"run {run.Name}'s config", run.Config)]);
        foreach (var (what, value) in named)
        {
            if (Control(value)) return $"{what} ({value.ReplaceLineEndings("\\n")}) holds a control character (a newline, a tab, …), which a Slurm script cannot carry safely";
            // sbatch reads an #SBATCH line's value up to a blank outside quotes, takes a backslash as an escape and
            // (before 17.11, even inside quotes) a # as the start of a comment.
            if (what is "--out" or "the working folder" && value.IndexOfAny(['"', '\\', '#']) >= 0)
                return $"{what} ({value}) holds a double quote, a backslash or a #, which an #SBATCH line cannot carry safely";
        }
        foreach (var (flag, value) in new[] { ("--partition", r.Partition), ("--gres", r.Gres), ("--time", r.TimeLimit) })
            if (value is not null && !value.All(c => char.IsAsciiLetterOrDigit(c) || "_-.:,=+/%".Contains(c)))
                return $"{flag} {value.ReplaceLineEndings("\\n")}: a Slurm {flag[2..]} is made of letters, digits and _-.:,=+/% only";
        return null;
    }

    /// <summary>The array job script for <paramref name="indices"/> of the plan.</summary>
    /// <exception cref="ArgumentException">A value is unsafe in a script (<see cref="UnsafeValue"/>); the command checks first.</exception>
    public static string Script(SweepPlan plan, string planFile, IReadOnlyList<int> indices, SlurmResources r)
    {
        if (UnsafeValue(plan, planFile, r) is { } problem) throw new ArgumentException(problem);
        var logs = SweepPlan.LogDir(plan.Out);
        var sb = new StringBuilder();
        sb.AppendLine("#!/bin/bash");
        sb.AppendLine("#SBATCH --job-name=logitstd-sweep");
        sb.AppendLine($"#SBATCH --array={string.Join(",", indices)}{(r.MaxParallel is int p ? "%" + p.ToString(CultureInfo.InvariantCulture) : "")}");
        sb.AppendLine("#SBATCH --requeue");
        sb.AppendLine("#SBATCH --open-mode=append");
        sb.AppendLine($"#SBATCH --output={SQ(logs + "/%A_%a.log")}");
        sb.AppendLine($"#SBATCH --cpus-per-task={r.CpusPerTask}");
        sb.AppendLine($"#SBATCH --chdir={SQ(Directory.GetCurrentDirectory())}"); // experiment files name teachers relative to it
        if (r.Partition is not null) sb.AppendLine($"#SBATCH --partition={r.Partition}");
        if (r.Gres is not null) sb.AppendLine($"#SBATCH --gres={r.Gres}");
        if (r.TimeLimit is not null) sb.AppendLine($"#SBATCH --time={r.TimeLimit}");
        sb.AppendLine("# Written by `logitstd sweep --scheduler slurm`. Array index = run:");
        foreach (var i in indices) sb.AppendLine($"#   {i}: {plan.Runs[i].Name}  {plan.Runs[i].Dir}");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine("echo \"logitstd sweep: array task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID, start ${SLURM_RESTART_COUNT:-0}, on $(hostname) at $(date -u +%FT%TZ)\"");
        sb.AppendLine($"exec {string.Join(" ", plan.Program.Select(Q))} sweep-task --plan {Q(planFile)} --index \"$SLURM_ARRAY_TASK_ID\"");
        return sb.ToString();
    }

    /// <summary>Writes the script beside the plan and submits it; returns the job id.</summary>
    public static string Submit(SweepPlan plan, string planFile, IReadOnlyList<int> indices, SlurmResources r, TextWriter stdout)
    {
        Directory.CreateDirectory(SweepPlan.LogDir(plan.Out));
        var script = Path.Combine(SweepPlan.SweepDir(plan.Out), "slurm-array.sh");
        Persistence.Atomic.WriteText(script, Script(plan, planFile, indices, r));
        var info = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--parsable");
        info.ArgumentList.Add(script);
        Process child;
        try { child = Process.Start(info) ?? throw new SlurmException("sbatch did not start"); }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new SlurmException("sbatch is not on PATH: --scheduler slurm needs a Slurm client (tools/slurm/setup.sh makes a one-node cluster here)");
        }
        using (child)
        {
            // sbatch --parsable prints "JOBID[;CLUSTER]".
            var output = child.StandardOutput.ReadToEnd();
            var err = child.StandardError.ReadToEnd();
            child.WaitForExit();
            var jobId = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Split(';')[0].Trim();
            if (child.ExitCode != 0 || string.IsNullOrEmpty(jobId))
                throw new SlurmException($"sbatch {script} submitted nothing (exit {child.ExitCode}): {err.Trim()} {output.Trim()}".Trim());
            if (err.Trim().Length > 0) stdout.WriteLine($"sbatch: {err.Trim()}");
            stdout.WriteLine($"submitted job array {jobId}: {indices.Count} task(s); script {script}; logs {SweepPlan.LogDir(plan.Out)}/{jobId}_<index>.log; follow with: squeue -j {jobId}");
            return jobId;
        }
    }

    /// <summary>
    /// Blocks until no task of the job is pending, running or being requeued. Polls squeue rather
    /// than using <c>sbatch --wait</c>, which was seen to return while a requeued task was between
    /// its kill and its restart; the job counts as ended only when two polls in a row find none of
    /// its tasks.
    /// </summary>
    public static void WaitFor(string jobId, TextWriter stdout, TimeSpan? poll = null)
    {
        var interval = poll ?? TimeSpan.FromSeconds(3);
        stdout.WriteLine($"waiting for job {jobId} to end (squeue every {interval.TotalSeconds:F0} s)");
        stdout.Flush();
        int emptyPolls = 0;
        while (emptyPolls < 2)
        {
            Thread.Sleep(interval);
            var info = new ProcessStartInfo("squeue") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-h", "-j", jobId, "-o", "%i %T" }) info.ArgumentList.Add(a);
            using var child = Process.Start(info) ?? throw new SlurmException("squeue did not start");
            var output = child.StandardOutput.ReadToEnd();
            var err = child.StandardError.ReadToEnd();
            child.WaitForExit();
            // A job whose record is gone ("Invalid job id") has ended too.
            bool none = output.Trim().Length == 0 && (child.ExitCode == 0 || err.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase));
            if (child.ExitCode != 0 && !none) throw new SlurmException($"squeue -j {jobId} failed (exit {child.ExitCode}): {err.Trim()}");
            emptyPolls = none ? emptyPolls + 1 : 0;
        }
    }
}
