using LogitStd.Core;

namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd dataset check</c> (implemented with the data pipeline, issue 3).</summary>
public static class DatasetCommand
{
    public static int Check(Core.Cli.DatasetKind dataset, string? dataDir, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine($"error: dataset check for {dataset} is not built yet (data pipeline, issue 3)");
        return 3;
    }
}
