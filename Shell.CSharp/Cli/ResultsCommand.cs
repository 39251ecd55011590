using System.Globalization;
using System.Text;
using LogitStd.Core;
using LogitStd.Shell.Plots;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd results DIR...</c>: mean ± std of the best test top-1 over seeds for each
/// (student, teacher, objective), and for each method the paired LS − no-LS difference (same seed)
/// of every standardized objective against every raw one, with a Student-t 95% interval.
/// </summary>
public static class ResultsCommand
{
    static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Every run folder (a folder holding summary.json) at or below the given folders, with its folder.</summary>
    public static IReadOnlyList<(string Dir, RunSummary Summary)> Collect(IEnumerable<string> dirs)
    {
        var list = new List<(string, RunSummary)>();
        foreach (var dir in dirs)
        {
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"run folder {dir} not found");
            foreach (var file in Directory.EnumerateFiles(dir, "summary.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                list.Add((Path.GetDirectoryName(file)!, RunSummary.Read(file)));
        }
        return list;
    }

    /// <summary>The two tables as markdown.</summary>
    public static string Tables(IReadOnlyList<(string Dir, RunSummary Summary)> runs)
    {
        var done = runs.Where(r => r.Summary.Finished).Select(r => r.Summary).ToList();
        var sb = new StringBuilder();
        sb.AppendLine("| student | teacher | method | LS | objective | seeds | best top-1 (%) mean ± std | final top-1 (%) mean ± std |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var g in done.GroupBy(r => (r.Student, r.Teacher, r.Method, r.Standardize, r.Objective))
                     .OrderBy(g => g.Key.Student).ThenBy(g => g.Key.Method == "none" ? "" : g.Key.Method).ThenBy(g => g.Key.Standardize).ThenBy(g => g.Key.Objective))
        {
            var best = g.Select(r => r.BestTop1).ToList();
            var final = g.Select(r => r.FinalTop1).ToList();
            sb.AppendLine($"| {g.Key.Student} | {g.Key.Teacher ?? "—"} | {g.Key.Method} | {(g.Key.Standardize ? "yes" : "no")} | `{g.Key.Objective}` | {best.Count} | " +
                $"{F(Statistics.Mean(best))} ± {F(Statistics.SampleStd(best))} | {F(Statistics.Mean(final))} ± {F(Statistics.SampleStd(final))} |");
        }
        sb.AppendLine();
        sb.AppendLine("Paired difference LS − no LS in best test top-1 (same student, teacher, method and seed; every LS objective against every raw one), 95% t-interval:");
        sb.AppendLine();
        sb.AppendLine("| student | method | with LS | without LS | pairs | LS − no LS (points) | 95% interval |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var g in done.Where(r => r.Method != "none").GroupBy(r => (r.Student, r.Teacher, r.Method)).OrderBy(g => g.Key.Student).ThenBy(g => g.Key.Method))
        {
            var byObjective = g.GroupBy(r => (r.Objective, r.Standardize)).ToList();
            foreach (var ls in byObjective.Where(o => o.Key.Standardize).OrderBy(o => o.Key.Objective))
                foreach (var raw in byObjective.Where(o => !o.Key.Standardize).OrderBy(o => o.Key.Objective))
                {
                    // pair the two objectives' runs seed by seed
                    var rawBySeed = raw.GroupBy(r => r.Seed).ToDictionary(x => x.Key, x => x.First().BestTop1);
                    var pairs = ls.GroupBy(r => r.Seed).Where(x => rawBySeed.ContainsKey(x.Key))
                        .Select(x => Tuple.Create(rawBySeed[x.Key], x.First().BestTop1)).ToList();
                    if (pairs.Count == 0) continue;
                    sb.AppendLine($"| {g.Key.Student} | {g.Key.Method} | `{ls.Key.Objective}` | `{raw.Key.Objective}` | {PairedCells(pairs)} |");
                }
        }
        sb.AppendLine();
        sb.AppendLine("Paired difference against the student trained alone (same student and seed), 95% t-interval:");
        sb.AppendLine();
        sb.AppendLine("| student | method | LS | objective | pairs | − student alone (points) | 95% interval |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var alone in done.Where(r => r.Method == "none").GroupBy(r => r.Student))
        {
            var aloneBySeed = alone.GroupBy(r => r.Seed).ToDictionary(x => x.Key, x => x.First().BestTop1);
            foreach (var g in done.Where(r => r.Method != "none" && r.Student == alone.Key).GroupBy(r => (r.Method, r.Standardize, r.Objective))
                         .OrderBy(g => g.Key.Method).ThenBy(g => g.Key.Standardize).ThenBy(g => g.Key.Objective))
            {
                var pairs = g.GroupBy(r => r.Seed).Where(x => aloneBySeed.ContainsKey(x.Key))
                    .Select(x => Tuple.Create(aloneBySeed[x.Key], x.First().BestTop1)).ToList();
                if (pairs.Count == 0) continue;
                sb.AppendLine($"| {alone.Key} | {g.Key.Method} | {(g.Key.Standardize ? "yes" : "no")} | `{g.Key.Objective}` | {PairedCells(pairs)} |");
            }
        }
        var unfinished = runs.Where(r => !r.Summary.Finished).ToList();
        if (unfinished.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine($"Not finished (left out): {string.Join(", ", unfinished.Select(r => r.Dir))}");
        }
        return sb.ToString();
    }

    /// <summary>The cells "pairs | difference | 95% interval" of (x, y) pairs matched by seed (difference y − x).</summary>
    static string PairedCells(IEnumerable<Tuple<double, double>> pairs)
    {
        var d = Core.Experiments.PairedDifference(pairs);
        var interval = double.IsNaN(d.HalfWidth) ? "n/a (one pair)" : $"[{F(d.Mean - d.HalfWidth)}, {F(d.Mean + d.HalfWidth)}]";
        return $"{d.Count} | {(d.Mean >= 0 ? "+" : "")}{F(d.Mean)} | {interval}";
    }

    public static int Run(IReadOnlyList<string> dirs, string? markdown, TextWriter stdout, TextWriter stderr)
    {
        IReadOnlyList<(string Dir, RunSummary Summary)> runs;
        try { runs = Collect(dirs); }
        catch (Exception e) when (e is IOException or RunFolderException)
        {
            // A run folder's file is damaged or unreadable: the file is at fault (exit 1).
            stderr.WriteLine($"error: results: {e.Message}");
            return 1;
        }
        if (runs.Count == 0)
        {
            stderr.WriteLine($"error: results: no run folders (summary.json) under {string.Join(", ", dirs)}");
            return 2;
        }
        var text = Tables(runs);
        stdout.Write(text);
        if (markdown is not null)
            Persistence.Atomic.WriteText(markdown, text);
        return 0;
    }
}
