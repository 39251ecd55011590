using System.Globalization;
using System.Text;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd results DIR...</c>: mean ± std of the best test top-1 over seeds for each
/// (student, teacher, objective), and the paired comparisons of <see cref="Comparisons"/> (LS − no LS
/// per method; each arm − the student alone), each with a Student-t 95% interval; optionally as markdown
/// and as JSON (<see cref="ResultsJson"/>).
/// </summary>
public static class ResultsCommand
{
    static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Every run folder (a folder holding summary.json) at or below the given folders, with its folder.</summary>
    public static IReadOnlyList<(string Dir, RunSummary Summary)> Collect(IEnumerable<string> dirs) => RunFolder.Collect(dirs);

    /// <summary>The three tables as markdown: per arm, LS − no LS, and against the student alone.</summary>
    public static string Tables(IReadOnlyList<(string Dir, RunSummary Summary)> runs)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| student | teacher | method | LS | objective | seeds | best top-1 (%) mean ± std | final top-1 (%) mean ± std |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var a in Comparisons.Arms(runs))
            sb.AppendLine($"| {a.Student} | {a.Teacher ?? "—"} | {a.Method} | {(a.Standardize ? "yes" : "no")} | `{a.Objective}` | {a.Seeds} | " +
                $"{F(a.BestMean)} ± {F(a.BestStd)} | {F(a.FinalMean)} ± {F(a.FinalStd)} |");
        var comparisons = Comparisons.All(runs);
        sb.AppendLine();
        sb.AppendLine("Paired difference LS − no LS in best test top-1 (same student, teacher, method and seed; every LS objective against every raw one), 95% t-interval:");
        sb.AppendLine();
        sb.AppendLine("| student | method | with LS | without LS | pairs | LS − no LS (points) | 95% interval |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var c in comparisons.Where(c => c.Kind == ComparisonKind.LsVsRaw))
            sb.AppendLine($"| {c.Student} | {c.Method} | `{c.Objective}` | `{c.BaselineObjective}` | {PairedCells(c)} |");
        sb.AppendLine();
        sb.AppendLine("Paired difference against the student trained alone (same student and seed), 95% t-interval:");
        sb.AppendLine();
        sb.AppendLine("| student | method | LS | objective | pairs | − student alone (points) | 95% interval |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var c in comparisons.Where(c => c.Kind == ComparisonKind.VsAlone))
            sb.AppendLine($"| {c.Student} | {c.Method} | {(c.Standardize ? "yes" : "no")} | `{c.Objective}` | {PairedCells(c)} |");
        var unfinished = Comparisons.Unfinished(runs);
        if (unfinished.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine($"Not finished (left out): {string.Join(", ", unfinished.Select(r => r.Dir))}");
        }
        return sb.ToString();
    }

    /// <summary>The cells "pairs | difference | 95% interval" of a comparison.</summary>
    static string PairedCells(Comparison c)
    {
        var interval = double.IsNaN(c.HalfWidth) ? "n/a (one pair)" : $"[{F(c.Mean - c.HalfWidth)}, {F(c.Mean + c.HalfWidth)}]";
        return $"{c.Pairs} | {(c.Mean >= 0 ? "+" : "")}{F(c.Mean)} | {interval}";
    }

    /// <summary>The per-arm statistics and the comparisons as JSON (<see cref="ResultsJson"/>).</summary>
    public static string Json(IReadOnlyList<(string Dir, RunSummary Summary)> runs) =>
        ResultsJson.Serialize(Comparisons.Arms(runs), Comparisons.All(runs), Comparisons.Unfinished(runs).Select(r => r.Dir).ToList());

    /// <summary>Prints the tables; writes them to <paramref name="markdown"/> and the JSON to <paramref name="json"/>
    /// when given. Returns 0, else throws (<see cref="ExitCodes"/>): 1 for a missing folder or a damaged
    /// summary.json (named); 2 when the folders hold no run folder.
    /// A failed write throws <see cref="OutputWriteException"/> (exit 1 in <c>Program</c>).</summary>
    public static int Run(IReadOnlyList<string> dirs, string? markdown, string? json, TextWriter stdout, TextWriter stderr)
    {
        // A run folder's file damaged or unreadable: RunFolderException or UnsafeFileException naming it (exit 1).
        var runs = Collect(dirs);
        if (runs.Count == 0) throw new UsageException($"results: no run folders (summary.json) under {string.Join(", ", dirs)}");
        var text = Tables(runs);
        stdout.Write(text);
        // A failed write is an OutputWriteException naming the file: Program makes it exit 1.
        if (markdown is not null) Persistence.Atomic.WriteText(markdown, text);
        if (json is not null) Persistence.Atomic.WriteText(json, Json(runs));
        return 0;
    }
}
