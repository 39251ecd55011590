namespace LogitStd.Shell.Runs;

/// <summary>Which two arms a <see cref="Comparison"/> subtracts.</summary>
public enum ComparisonKind
{
    /// <summary>A standardized objective minus a raw one of the same student, teacher and method.</summary>
    LsVsRaw,

    /// <summary>A distillation arm minus the same student trained alone (method <c>none</c>).</summary>
    VsAlone,
}

/// <summary>One arm: the finished runs of one (student, teacher, method, +LS, objective), over seeds.</summary>
/// <param name="Student">The trained model.</param>
/// <param name="Teacher">The teacher, or null (the student alone).</param>
/// <param name="Method">As in summary.json: <c>none</c>, <c>kd</c>, ….</param>
/// <param name="Standardize">Whether the logits were Z-scored in the loss (+LS).</param>
/// <param name="Objective">The objective's formula.</param>
/// <param name="Seeds">How many runs the arm has (one per seed in a study).</param>
/// <param name="BestMean">Mean best test top-1 (%).</param>
/// <param name="BestStd">Its sample std (n − 1; 0 for one run).</param>
/// <param name="FinalMean">Mean final test top-1 (%).</param>
/// <param name="FinalStd">Its sample std.</param>
/// <param name="Runs">The arm's run folders, in the order they were found.</param>
public sealed record ArmStats(
    string Student, string? Teacher, string Method, bool Standardize, string Objective, int Seeds,
    double BestMean, double BestStd, double FinalMean, double FinalStd, IReadOnlyList<string> Runs);

/// <summary>A paired difference in best test top-1, seed by seed: the arm (<paramref name="Objective"/>)
/// minus its baseline (<paramref name="BaselineObjective"/>), with a Student-t 95% interval.</summary>
/// <param name="Kind">Which family it belongs to.</param>
/// <param name="Student">The student both sides trained.</param>
/// <param name="Teacher">The arm's teacher (the baseline of <see cref="ComparisonKind.VsAlone"/> has none).</param>
/// <param name="Method">The arm's method.</param>
/// <param name="Objective">The arm's formula.</param>
/// <param name="Standardize">Whether the arm is +LS.</param>
/// <param name="BaselineObjective">The baseline's formula.</param>
/// <param name="BaselineStandardize">Whether the baseline is +LS (never, today).</param>
/// <param name="Pairs">The number of seeds both sides ran.</param>
/// <param name="Mean">The mean difference, in points.</param>
/// <param name="HalfWidth">The 95% interval's half-width; NaN for a single pair.</param>
/// <param name="Seeds">The paired seeds.</param>
/// <param name="Runs">The arm's run folders of those seeds, in the same order.</param>
/// <param name="BaselineRuns">The baseline's run folders of those seeds, in the same order.</param>
public sealed record Comparison(
    ComparisonKind Kind, string Student, string? Teacher, string Method,
    string Objective, bool Standardize, string BaselineObjective, bool BaselineStandardize,
    int Pairs, double Mean, double HalfWidth,
    IReadOnlyList<int> Seeds, IReadOnlyList<string> Runs, IReadOnlyList<string> BaselineRuns)
{
    /// <summary>The kind as the JSON file and the docs write it: <c>ls-vs-raw</c> or <c>vs-alone</c>.</summary>
    public string KindName => Kind == ComparisonKind.LsVsRaw ? "ls-vs-raw" : "vs-alone";
}

/// <summary>The statistics of a study's run folders — per arm, and the two families of paired
/// comparisons — computed once here for the results tables, their JSON and the forest figure.
/// Only finished runs count; within an arm, the first run found of a seed is the one paired.</summary>
public static class Comparisons
{
    /// <summary>Mean ± std per arm, ordered by student, then the baseline before the methods, raw before +LS, objective.</summary>
    public static IReadOnlyList<ArmStats> Arms(IReadOnlyList<(string Dir, RunSummary Summary)> runs) =>
        Finished(runs)
            .GroupBy(r => (r.Summary.Student, r.Summary.Teacher, r.Summary.Method, r.Summary.Standardize, r.Summary.Objective))
            .OrderBy(g => g.Key.Student).ThenBy(g => g.Key.Method == "none" ? "" : g.Key.Method)
            .ThenBy(g => g.Key.Standardize).ThenBy(g => g.Key.Objective)
            .Select(g =>
            {
                var best = g.Select(r => r.Summary.BestTop1).ToList();
                var final = g.Select(r => r.Summary.FinalTop1).ToList();
                return new ArmStats(g.Key.Student, g.Key.Teacher, g.Key.Method, g.Key.Standardize, g.Key.Objective, best.Count,
                    Core.Statistics.Mean(best), Core.Statistics.SampleStd(best), Core.Statistics.Mean(final), Core.Statistics.SampleStd(final),
                    g.Select(r => r.Dir).ToList());
            })
            .ToList();

    /// <summary>Every comparison: first the LS − no-LS ones (each standardized objective of a student,
    /// teacher and method against each raw one), then each distillation arm against its student alone.
    /// A pair of arms without a common seed gives no comparison.</summary>
    public static IReadOnlyList<Comparison> All(IReadOnlyList<(string Dir, RunSummary Summary)> runs)
    {
        var done = Finished(runs);
        return LsVsRaw(done).Concat(VsAlone(done)).ToList();
    }

    /// <summary>The runs that are not finished (left out of every statistic).</summary>
    public static IReadOnlyList<(string Dir, RunSummary Summary)> Unfinished(IReadOnlyList<(string Dir, RunSummary Summary)> runs) =>
        runs.Where(r => !r.Summary.Finished).ToList();

    static List<(string Dir, RunSummary Summary)> Finished(IReadOnlyList<(string Dir, RunSummary Summary)> runs) =>
        runs.Where(r => r.Summary.Finished).ToList();

    static IEnumerable<Comparison> LsVsRaw(List<(string Dir, RunSummary Summary)> done)
    {
        foreach (var g in done.Where(r => r.Summary.Method != "none").GroupBy(r => (r.Summary.Student, r.Summary.Teacher, r.Summary.Method))
                     .OrderBy(g => g.Key.Student).ThenBy(g => g.Key.Method))
        {
            var byObjective = g.GroupBy(r => (r.Summary.Objective, r.Summary.Standardize)).ToList();
            foreach (var ls in byObjective.Where(o => o.Key.Standardize).OrderBy(o => o.Key.Objective))
                foreach (var raw in byObjective.Where(o => !o.Key.Standardize).OrderBy(o => o.Key.Objective))
                    if (Pair(ComparisonKind.LsVsRaw, g.Key.Student, g.Key.Teacher, g.Key.Method, ls.ToList(), raw.ToList()) is { } c)
                        yield return c;
        }
    }

    static IEnumerable<Comparison> VsAlone(List<(string Dir, RunSummary Summary)> done)
    {
        foreach (var alone in done.Where(r => r.Summary.Method == "none").GroupBy(r => r.Summary.Student))
        {
            // The arm's teacher is part of its key: runs of two teachers are two arms, never mixed in one pairing.
            foreach (var g in done.Where(r => r.Summary.Method != "none" && r.Summary.Student == alone.Key)
                         .GroupBy(r => (r.Summary.Method, r.Summary.Standardize, r.Summary.Objective, r.Summary.Teacher))
                         .OrderBy(g => g.Key.Method).ThenBy(g => g.Key.Standardize).ThenBy(g => g.Key.Objective)
                         .ThenBy(g => g.Key.Teacher, StringComparer.Ordinal))
                if (Pair(ComparisonKind.VsAlone, alone.Key, g.Key.Teacher, g.Key.Method, g.ToList(), alone.ToList()) is { } c)
                    yield return c;
        }
    }

    /// <summary>The arm's runs matched seed by seed with the baseline's (the first run of a seed on
    /// each side), or null when they share no seed.</summary>
    static Comparison? Pair(ComparisonKind kind, string student, string? teacher, string method,
                            List<(string Dir, RunSummary Summary)> arm, List<(string Dir, RunSummary Summary)> baseline)
    {
        var baselineBySeed = baseline.GroupBy(r => r.Summary.Seed).ToDictionary(x => x.Key, x => x.First());
        var pairs = arm.GroupBy(r => r.Summary.Seed).Where(x => baselineBySeed.ContainsKey(x.Key))
            .Select(x => (Arm: x.First(), Baseline: baselineBySeed[x.Key])).ToList();
        if (pairs.Count == 0) return null;
        var d = Core.Experiments.PairedDifference(pairs.Select(p => Tuple.Create(p.Baseline.Summary.BestTop1, p.Arm.Summary.BestTop1)));
        var a = arm[0].Summary;
        var b = baseline[0].Summary;
        return new Comparison(kind, student, teacher, method, a.Objective, a.Standardize, b.Objective, b.Standardize,
            d.Count, d.Mean, d.HalfWidth, pairs.Select(p => p.Arm.Summary.Seed).ToList(),
            pairs.Select(p => p.Arm.Dir).ToList(), pairs.Select(p => p.Baseline.Dir).ToList());
    }
}
