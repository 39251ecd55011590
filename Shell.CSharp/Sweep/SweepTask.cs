using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Sweep;

/// <summary>
/// <c>logitstd sweep-task --plan FILE --index I</c>: one run of a sweep, as a local worker or a Slurm
/// array task runs it. A finished run is skipped, a run with a checkpoint is resumed (so a requeued
/// Slurm task continues where it was stopped), a run folder without a checkpoint loses the files the
/// program wrote and starts afresh; a folder that is not a run folder is refused (exit 2), untouched.
/// Returns 0 or throws (<see cref="ExitCodes"/>): what <c>train</c>/<c>distill</c> throw; 1 for a damaged plan, 2 for a bad index.
/// </summary>
public static class SweepTask
{
    /// <param name="planFile">The sweep's plan.json.</param>
    /// <param name="index">The run's index in the plan.</param>
    /// <param name="stdout">Where progress goes.</param>
    /// <param name="stderr">Where the run's warnings go.</param>
    /// <param name="train">Runs a <c>train</c>/<c>distill</c> command line (the program's <c>TrainCommand.Run</c>,
    /// handed in by <c>Program</c>: a sweep knows how to start a run, not what a run is).</param>
    public static int Run(string planFile, int index, TextWriter stdout, TextWriter stderr,
        Func<Core.TrainCli.TrainOptions, TextWriter, TextWriter, int>? train = null)
    {
        var plan = SweepPlan.Read(planFile);
        if (index >= plan.Runs.Count)
            throw new UsageException($"sweep-task: --index {index}: {planFile} has {plan.Runs.Count} runs (0 .. {plan.Runs.Count - 1})");
        var run = plan.Runs[index];
        IReadOnlyList<string> args;
        switch (RunState.Of(run.Dir))
        {
            case RunStatus.Finished:
                stdout.WriteLine($"sweep-task {index}: {run.Name} finished already ({run.Dir})");
                return 0;
            case RunStatus.Resumable:
                stdout.WriteLine($"sweep-task {index}: {run.Name}: resuming from {RunState.LatestCheckpoint(run.Dir)}");
                args = run.Resume;
                break;
            default:
                if (Runs.RunOutput.IsRunFolder(run.Dir))
                {
                    // Only the files the program wrote go; anything else in the folder stays.
                    stdout.WriteLine($"sweep-task {index}: {run.Name}: removing the files in {run.Dir} left by a start that stopped before its first checkpoint");
                    Runs.RunOutput.Discard(run.Dir);
                }
                else if (!Runs.RunOutput.MayHoldRun(run.Dir))
                    throw new UsageException($"sweep-task: {run.Dir} (the folder of run {run.Name}) exists and is not a LogitStd run folder; nothing in it is touched");
                stdout.WriteLine($"sweep-task {index}: {run.Name}: starting");
                args = run.Fresh;
                break;
        }
        stdout.WriteLine($"sweep-task {index}: logitstd {string.Join(" ", args)}");
        stdout.Flush();
        switch (Core.Cli.parse(args.ToArray()))
        {
            case Core.Cli.ParseOutcome.Run { Item: Core.Cli.Parsed.Fit fit }:
                return (train ?? throw new InvalidOperationException("sweep-task: no training command was handed in"))(fit.Item, stdout, stderr);
            case Core.Cli.ParseOutcome.Error e:
                throw new UsageException($"sweep-task: run {run.Name} of {planFile}: {e.text}");
            default:
                throw new UsageException($"sweep-task: run {run.Name} of {planFile} is not a train or distill command: {string.Join(" ", args)}");
        }
    }
}
