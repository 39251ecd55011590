using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>The forest plot of a study: one row per paired comparison of <see cref="Comparisons"/>, its
/// mean difference in best test top-1 as a marker and its 95% interval as a bar, against a zero
/// line; LS − no LS in the left panel, arm − student alone in the right.</summary>
public static class ForestFigure
{
    // Colour by the arm's method, the same in both panels.
    private static readonly string[] Methods = [.. LogitStd.Core.Experiments.MethodNames.Where(m => m != "none")];

    /// <summary>A side of a comparison as the paper writes it: <c>KD+LS(τ=2)</c>, <c>DKD(T=4)</c>, <c>alone</c>.</summary>
    public static string Side(string method, bool standardize, string objective) => FigureStyle.ArmTag(method, standardize, objective);

    /// <summary>The row labels of one panel, in order: <c>KD+LS(τ=2) − KD(T=4)</c>, <c>DKD+LS(τ=2) − alone</c>,
    /// prefixed by the student when there are several, with the number of pairs (and "no interval" for
    /// one pair). Two rows that the short
    /// form would not tell apart (objectives differing in a weight only) show their full formulas.</summary>
    public static IReadOnlyList<string> Labels(IReadOnlyList<Comparison> rows, bool withStudent)
    {
        string Short(Comparison c) => $"{Side(c.Method, c.Standardize, c.Objective)} − " +
            (c.Kind == ComparisonKind.VsAlone ? "alone" : Side(c.Method, c.BaselineStandardize, c.BaselineObjective));
        string Full(Comparison c) => $"{c.Objective} − {c.BaselineObjective}";
        var shortForms = rows.Select(c => (withStudent ? c.Student + ": " : "") + Short(c)).ToList();
        return rows.Select((c, i) =>
            (shortForms.Count(s => s == shortForms[i]) > 1 ? (withStudent ? c.Student + ": " : "") + Full(c) : shortForms[i]) +
            (double.IsNaN(c.HalfWidth) ? $"  (n={c.Pairs}, no interval)" : $"  (n={c.Pairs})")).ToList();
    }

    /// <summary>Adds one panel: row <c>i</c> from the top at y = n − 1 − i, the interval as a bar (none for
    /// a single pair: an open marker, "no interval" in the label), the mean as a filled diamond, a dashed
    /// zero line.</summary>
    public static void Draw(Plot plot, string title, IReadOnlyList<Comparison> rows, IReadOnlyList<string> labels)
    {
        int n = rows.Count;
        double lo = 0, hi = 0;
        for (int i = 0; i < n; i++)
        {
            var c = rows[i];
            double y = n - 1 - i;
            var color = FigureStyle.Series(Array.IndexOf(Methods, c.Method) is var k and >= 0 ? k : Methods.Length);
            bool interval = !double.IsNaN(c.HalfWidth);
            if (interval)
            {
                var bar = plot.Add.Line(c.Mean - c.HalfWidth, y, c.Mean + c.HalfWidth, y);
                bar.LineWidth = 3;
                bar.LineColor = color;
                foreach (var x in new[] { c.Mean - c.HalfWidth, c.Mean + c.HalfWidth })
                {
                    var cap = plot.Add.Line(x, y - 0.15, x, y + 0.15);
                    cap.LineWidth = 2;
                    cap.LineColor = color;
                }
            }
            var mark = plot.Add.Marker(c.Mean, y, interval ? MarkerShape.FilledDiamond : MarkerShape.OpenCircle, 12);
            mark.Color = interval ? Colors.Black : color;
            lo = Math.Min(lo, interval ? c.Mean - c.HalfWidth : c.Mean);
            hi = Math.Max(hi, interval ? c.Mean + c.HalfWidth : c.Mean);
        }
        var zero = plot.Add.VerticalLine(0);
        zero.LineWidth = 1.5f;
        zero.LineColor = Colors.Black;
        zero.LinePattern = LinePattern.Dashed;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < n; i++)
            ticks.AddMajor(n - 1 - i, labels[i]);
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        double span = Math.Max(hi - lo, 0.5);
        plot.Axes.SetLimits(lo - 0.08 * span, hi + 0.08 * span, -0.7, n - 0.3);
        FigureStyle.Labels(plot, title, "best test top-1 difference (points)", "");
    }

    /// <summary>The forest plot over the run folders at or below <paramref name="dirs"/>, of one
    /// <paramref name="student"/> or of all.</summary>
    /// <exception cref="ArgumentException"><paramref name="student"/> names no student of the runs (a flag
    /// error: the message lists the students found).</exception>
    /// <exception cref="RunFolderException">The runs give no comparison (the message names the folders), or a summary is damaged.</exception>
    public static Figure Make(IReadOnlyList<string> dirs, string? student)
    {
        var runs = RunFolder.Collect(dirs);
        if (student is not null && !runs.Any(r => r.Summary.Student == student))
        {
            var found = runs.Select(r => r.Summary.Student).Distinct().Order(StringComparer.Ordinal).ToList();
            throw new ArgumentException($"--student {student}: no run of that student under {string.Join(", ", dirs)}; " +
                (found.Count == 0 ? "there are no run folders" : $"the students are {string.Join(", ", found)}"));
        }
        var all = Comparisons.All(runs).Where(c => student is null || c.Student == student).ToList();
        if (all.Count == 0)
            throw new RunFolderException(string.Join(", ", dirs), null,
                "no comparison to draw: it needs two finished arms of a student with a common seed (+LS and raw of one method, or an arm and the student alone)");
        bool withStudent = all.Select(c => c.Student).Distinct().Count() > 1;
        var panels = new List<Plot>();
        foreach (var (kind, title) in new[] { (ComparisonKind.LsVsRaw, "LS − no LS, same seed, 95% CI"), (ComparisonKind.VsAlone, "arm − student alone, same seed, 95% CI") })
        {
            var rows = all.Where(c => c.Kind == kind).ToList();
            if (rows.Count == 0) continue;
            var plot = FigureStyle.NewPlot();
            Draw(plot, title, rows, Labels(rows, withStudent));
            panels.Add(plot);
        }
        int most = all.GroupBy(c => c.Kind).Max(g => g.Count());
        // Wider panels when the labels carry the student's name.
        return new Figure(withStudent ? 900 : 720, Math.Max(320, 34 * most + 170), [.. panels]);
    }
}
