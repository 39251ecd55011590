using LogitStd.Core;
using LogitStd.Shell.Cli;

namespace LogitStd.Shell;

public static class Program
{
    public static int Main(string[] args)
    {
        switch (Core.Cli.parse(args))
        {
            case Core.Cli.ParseOutcome.Help h:
                Console.Out.WriteLine(h.text);
                return 0;
            case Core.Cli.ParseOutcome.Error e:
                Console.Error.WriteLine(e.text);
                return ExitCodes.Usage;
            case Core.Cli.ParseOutcome.Run r:
                // Before the first tensor: glibc's heap thresholds for a training process (Platform/NativeHeap).
                Platform.NativeHeap.Configure();
                if (Platform.SystemLibTorch.EnsureLoaded() is { } missing)
                {
                    Console.Error.WriteLine($"error: {missing}");
                    return ExitCodes.InputOrMachine;
                }
                // Every failure, whatever the command, gets its exit code in one place (ExitCodes).
                return ExitCodes.Run(() => Dispatch(r.Item), Console.Error);
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    static int Dispatch(Core.Cli.Parsed command) => command switch
    {
        Core.Cli.Parsed.CheckReference c =>
            CheckReferenceCommand.Run(c.files.ToList(), c.writeActual.ToNullable(), Console.Out, Console.Error),
        Core.Cli.Parsed.DatasetCheck d => DatasetCommand.Check(d.dataset, d.dataDir.ToNullable(), Console.Out, Console.Error),
        Core.Cli.Parsed.ListModels m => ModelsCommand.Run(m.classes, Console.Out, Console.Error),
        Core.Cli.Parsed.Evaluate e => EvalCommand.Run(e.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.Draw p => PlotCommand.Run(p.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.Summarize r => ResultsCommand.Run(r.runs.ToList(), r.markdown.ToNullable(), r.json.ToNullable(), Console.Out, Console.Error),
        Core.Cli.Parsed.Benchmark b => BenchCommand.Run(b.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.Fit f => TrainCommand.Run(f.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.Deploy x => ExportCommand.Run(x.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.Classify p => PredictCommand.Run(p.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.ShowInfo i => InfoCommand.Run(i.@out.ToNullable(), Console.Out, Console.Error),
        Core.Cli.Parsed.RunSweep s => Sweep.SweepCommand.Run(s.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.RunSweepTask t => Sweep.SweepTask.Run(t.plan, t.index, Console.Out, Console.Error, (o, stdout, stderr) => TrainCommand.Run(o, stdout, stderr)),
        Core.Cli.Parsed.CacheTeacher c => TeacherCacheCommand.Run(c.Item, Console.Out, Console.Error),
        _ => throw new InvalidOperationException($"unhandled command {command}"),
    };
}
