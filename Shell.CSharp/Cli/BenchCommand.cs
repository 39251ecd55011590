namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd bench</c> (performance issue 7).</summary>
public static class BenchCommand
{
    public static int Run(Core.Cli.BenchOptions options, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("error: bench is not built yet (issue 7)");
        return 3;
    }
}
