namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd plot</c> (implemented with the figures, issue 6).</summary>
public static class PlotCommand
{
    public static int Run(Core.Cli.PlotOptions options, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("error: plotting is not built yet (issue 6)");
        return 3;
    }
}
