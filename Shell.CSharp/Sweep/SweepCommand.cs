using LogitStd.Shell.Runs;
using Microsoft.FSharp.Collections;
using Exp = LogitStd.Core.Experiment;
using CoreSweep = LogitStd.Core.Sweep;

namespace LogitStd.Shell.Sweep;

/// <summary>Some runs of a sweep failed (each run's log says why): exit 1.</summary>
public sealed class SweepRunsFailedException(string message) : InputException(message);

/// <summary>
/// <c>logitstd sweep --configs FILE|DIR... --seeds N --out DIR [--scheduler local|slurm] [-- FLAGS]</c>:
/// expands configs × seeds into runs (one run folder each, <c>OUT/&lt;config-stem&gt;-s&lt;seed&gt;</c>),
/// writes <c>OUT/sweep/plan.json</c>, and runs every unfinished run — here with P child processes, or
/// as a Slurm job array. Finished runs are skipped, interrupted ones resumed; <c>logitstd results OUT</c>
/// then makes the table. Returns 0 when all runs ran (or were submitted), else throws (<see cref="ExitCodes"/>): 1 a run or sbatch
/// failed (<see cref="SweepRunsFailedException"/>, <see cref="SlurmException"/>), 2 bad input.
/// </summary>
public static class SweepCommand
{
    /// <param name="o">The parsed sweep options.</param>
    /// <param name="stdout">Where the plan and the progress go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="program">How to start this program for each run (tests pass the logitstd.dll); default: this process.</param>
    public static int Run(Core.CliSweep.SweepOptions o, TextWriter stdout, TextWriter stderr, IReadOnlyList<string>? program = null)
    {
        static UsageException Usage(string message) => new($"sweep: {message}");
        var configs = new List<string>();
        foreach (var path in o.Configs)
        {
            if (File.Exists(path)) configs.Add(Path.GetFullPath(path));
            else if (Directory.Exists(path))
            {
                IReadOnlyList<string> found = SafeIO.TreeWalk.Files(path, "*.yaml");
                if (found.Count == 0) throw Usage($"--configs {path}: the folder holds no *.yaml experiment file");
                configs.AddRange(found);
            }
            else throw Usage($"--configs {path}: no such file or folder");
        }
        var commands = new Dictionary<string, string>();
        foreach (var config in configs.Distinct())
        {
            // A file name becomes a run's name, its folder and a line of a Slurm script: no control characters.
            if (config.Any(char.IsControl)) throw Usage($"--configs: the file name {config.ReplaceLineEndings("\\n")} holds a control character (a newline, a tab, …); rename it");
            // Each run's experiment is the file with the flags after `--` merged over it, resolved once, here:
            // the command (train or distill) is the merged experiment's, and a run that could not start is
            // refused now, naming its file, not once per seed.
            commands[config] = ExperimentFile.CommandOf(o.Flags, config);
        }
        var expanded = CoreSweep.expand(ListModule.OfSeq(configs), o.FirstSeed, o.Seeds);
        if (expanded.IsError) throw Usage(expanded.ErrorValue);

        bool slurm = o.Scheduler.IsSlurm;
        int parallel = o.MaxParallel.ToNullable() ?? 1;
        int threads = o.Threads.ToNullable() ?? (slurm ? 2 : Math.Max(1, Environment.ProcessorCount / parallel));
        var flags = o.TrainFlags.ToList();
        if (o.Threads.ToNullable() is null) flags.AddRange(["--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var flagList = ListModule.OfSeq(flags);
        var outDir = Path.GetFullPath(o.Out);
        if (SweepPlan.RefusalOf(outDir) is { } refusal) throw Usage(refusal);
        foreach (var r in expanded.ResultValue)
        {
            if (SweepPlan.NameProblem(r.Name) is { } problem) throw Usage($"{r.Config}: the run name \"{r.Name}\" {problem}");
            // A run's folder is the program's own, or absent, or empty: a folder of the user's with that name is not overwritten.
            var dir = Path.Combine(outDir, r.Name);
            if (!Runs.RunOutput.MayHoldRun(dir))
                throw Usage($"{dir} (the folder of run {r.Name}) exists and is not a LogitStd run folder; move it away or choose another --out");
        }
        var runs = expanded.ResultValue.Select(r =>
        {
            var dir = Path.Combine(outDir, r.Name);
            var command = commands[r.Config];
            return new PlannedRun(r.Name, dir, r.Config, r.Seed, CoreSweep.freshArgs(command, r, dir, flagList).ToList(), CoreSweep.resumeArgs(command, dir, flagList).ToList());
        }).ToList();
        var plan = new SweepPlan(SweepPlan.FormatName, outDir, program ?? SelfInvocation.Command(), runs);
        var planFile = SweepPlan.PlanFile(outDir);
        var gres = o.Gres.ToNullable() ?? (o.Device.IsCuda ? "gpu:1" : null);
        var resources = new SlurmResources(threads, o.MaxParallel.ToNullable(), o.Partition.ToNullable(), gres, o.TimeLimit.ToNullable());
        // Before anything is written: a value a Slurm script cannot carry safely is refused, not quoted into it.
        if (slurm && SlurmScheduler.UnsafeValue(plan, planFile, resources) is { } unsafeValue) throw Usage(unsafeValue);
        // A folder the machine refuses to write is the machine's answer (exit 1, naming the file).
        try { SweepPlan.MarkFolder(outDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new OutputWriteException(outDir, e); }
        plan.Write(planFile);

        var states = runs.Select(r => RunState.Of(r.Dir)).ToList();
        var todo = Enumerable.Range(0, runs.Count).Where(i => states[i] != RunStatus.Finished).ToList();
        stdout.WriteLine($"sweep: {runs.Count} runs ({configs.Count} config(s) × {o.Seeds} seed(s)) in {outDir}: " +
            $"{states.Count(s => s == RunStatus.Finished)} finished already, {states.Count(s => s == RunStatus.Resumable)} to resume, {states.Count(s => s == RunStatus.Fresh)} to start; plan {planFile}");
        if (todo.Count == 0)
        {
            stdout.WriteLine("sweep: nothing to run; the table: logitstd results " + outDir);
            return 0;
        }
        if (!slurm)
        {
            var failed = LocalScheduler.Run(plan, planFile, todo, parallel, stdout);
            if (failed.Count > 0) throw new SweepRunsFailedException($"sweep: {failed.Count} run(s) failed: {string.Join(", ", failed.Select(i => runs[i].Name))} (logs in {SweepPlan.LogDir(outDir)})");
            stdout.WriteLine($"sweep: all {runs.Count} runs finished; the table: logitstd results {outDir}");
            return 0;
        }
        {
            var jobId = SlurmScheduler.Submit(plan, planFile, todo, resources, stdout);
            if (!o.Wait) return 0;
            SlurmScheduler.WaitFor(jobId, stdout);
            var unfinished = runs.Where(r => RunState.Of(r.Dir) != RunStatus.Finished).Select(r => r.Name).ToList();
            if (unfinished.Count > 0)
                throw new SweepRunsFailedException($"sweep: job {jobId} ended with {unfinished.Count} run(s) unfinished: {string.Join(", ", unfinished)}; " +
                    $"logs {SweepPlan.LogDir(outDir)}/{jobId}_<index>.log; run the same sweep again to resume them");
            stdout.WriteLine($"sweep: job {jobId} ended; all {runs.Count} runs finished; the table: logitstd results {outDir}");
            return 0;
        }
    }
}
