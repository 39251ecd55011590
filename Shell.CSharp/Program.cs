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
                return 2;
            case Core.Cli.ParseOutcome.Run r:
                return Dispatch(r.Item);
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
        Core.Cli.Parsed.Summarize r => ResultsCommand.Run(r.runs.ToList(), r.markdown.ToNullable(), Console.Out, Console.Error),
        Core.Cli.Parsed.Benchmark b => BenchCommand.Run(b.Item, Console.Out, Console.Error),
        Core.Cli.Parsed.Fit f => Training.TrainCommand.Run(f.Item, Console.Out, Console.Error),
        _ => throw new InvalidOperationException($"unhandled command {command}"),
    };
}
