namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd models</c> (implemented with the model zoo, issue 4).</summary>
public static class ModelsCommand
{
    public static int Run(int classes, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("error: the model zoo is not built yet (issue 4)");
        return 3;
    }
}
