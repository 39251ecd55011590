namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd eval</c> (implemented with the model zoo, issue 4).</summary>
public static class EvalCommand
{
    public static int Run(Core.Cli.EvalOptions options, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("error: eval is not built yet (issue 4)");
        return 3;
    }
}
