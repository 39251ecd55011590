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

    static int Dispatch(Core.Cli.Parsed command) =>
        CheckReferenceCommand.Run(command.files.ToList(), Microsoft.FSharp.Core.OptionModule.ToObj(command.writeActual), Console.Out, Console.Error);
}
