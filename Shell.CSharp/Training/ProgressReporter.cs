using Spectre.Console;

namespace LogitStd.Shell.Training;

/// <summary>
/// A live progress bar (Spectre.Console) with ETA, loss and accuracy while an epoch runs, when the
/// output is a terminal; nothing per step otherwise (the trainer prints one plain line per epoch).
/// </summary>
public static class ProgressReporter
{
    /// <summary>Whether a live bar can be drawn: standard output is an interactive terminal.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="body"/>, which calls the given action once per step with a status text.</summary>
    public static void Run(string title, int steps, Action<Action<string>> body)
    {
        if (!Interactive)
        {
            body(_ => { });
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title, maxValue: steps);
                body(status =>
                {
                    task.Description = $"{title}  {status}";
                    task.Increment(1);
                });
            });
    }
}
