using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>One bar of the results chart: a (student, method, standardize) group over seeds.</summary>
/// <param name="Student">The student model.</param>
/// <param name="Method">The method, as in <c>summary.json</c>.</param>
/// <param name="Standardize">Whether the group used +LS.</param>
/// <param name="Mean">Mean best test top-1 over the seeds, in percent.</param>
/// <param name="Std">Sample std (n − 1) over the seeds; 0 for a single seed.</param>
/// <param name="Seeds">How many runs (seeds) the group holds.</param>
public sealed record ResultGroup(string Student, string Method, bool Standardize, double Mean, double Std, int Seeds);

/// <summary>The results chart: mean best test top-1 per method, without and with +LS side by side,
/// error bars one std over seeds.</summary>
public static class ResultsFigure
{
    // The paper's order; methods the trainer may add later go after these.
    private static readonly string[] MethodOrder = [.. LogitStd.Core.Experiments.MethodNames];

    /// <summary>Groups finished runs by (student, method, standardize); unfinished runs are left out
    /// (their best accuracy is not final) and returned so the caller can say so.</summary>
    public static (IReadOnlyList<ResultGroup> Groups, IReadOnlyList<RunFolder> Skipped) Aggregate(IReadOnlyList<RunFolder> runs)
    {
        var skipped = runs.Where(r => !r.Summary.Finished).ToArray();
        var groups = runs.Where(r => r.Summary.Finished)
            .GroupBy(r => (r.Summary.Student, r.Summary.Method, r.Summary.Standardize))
            .Select(g =>
            {
                var acc = g.Select(r => r.Summary.BestTop1).ToArray();
                double mean = acc.Average();
                double std = Core.Statistics.SampleStd(acc);
                return new ResultGroup(g.Key.Student, g.Key.Method, g.Key.Standardize, mean, std, acc.Length);
            })
            .OrderBy(g => g.Student, StringComparer.Ordinal)
            .ThenBy(g => Array.IndexOf(MethodOrder, g.Method) is var i and >= 0 ? i : MethodOrder.Length)
            .ThenBy(g => g.Method, StringComparer.Ordinal)
            .ThenBy(g => g.Standardize)
            .ToArray();
        return (groups, skipped);
    }

    /// <summary>Adds the bars: one category per (student, method), a raw and a +LS bar in it, each
    /// labelled with mean ± std and the number of seeds. The y axis is zoomed to the bars' range
    /// because differences of a point or less would be invisible on a 0–100 scale; the labels keep
    /// the exact values readable.</summary>
    public static void Draw(Plot plot, string title, IReadOnlyList<ResultGroup> groups)
    {
        var categories = groups.Select(g => (g.Student, g.Method)).Distinct().ToArray();
        bool severalStudents = categories.Select(c => c.Student).Distinct().Count() > 1;
        string[] legends = ["raw logits", "+LS (Z-scored)"];
        Color[] colors = [FigureStyle.Series(0), FigureStyle.Series(1)];
        double lo = groups.Min(g => g.Mean - g.Std), hi = groups.Max(g => g.Mean + g.Std);
        double pad = Math.Max(0.5, (hi - lo) * 0.15);
        for (int s = 0; s < 2; s++)
        {
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Length; c++)
            {
                var g = groups.FirstOrDefault(x => (x.Student, x.Method) == categories[c] && x.Standardize == (s == 1));
                if (g is null) continue;
                double position = c - 0.2 + 0.4 * s;
                bars.Add(new Bar
                {
                    Position = position, Value = g.Mean, Error = g.Std, Size = 0.38, FillColor = colors[s],
                    // The error whiskers are drawn with the bar's line style: a zero width would hide them.
                    LineWidth = 1.5f, LineColor = Colors.Black,
                });
                // Above the whisker, not at the bar's top where ScottPlot's own bar label would cross it.
                var text = plot.Add.Text($"{FigureStyle.Num(g.Mean)} ± {FigureStyle.Num(g.Std)}\nn = {g.Seeds}", position, g.Mean + g.Std + 0.08 * pad);
                text.LabelAlignment = Alignment.LowerCenter;
                text.LabelFontSize = 11;
                text.LabelFontName = FigureStyle.FontName;
            }
            if (bars.Count == 0) continue;
            plot.Add.Bars(bars).LegendText = legends[s];
        }
        var names = categories.Select(c => (severalStudents ? c.Student + " " : "") + (c.Method == "none" ? "no KD" : c.Method.ToUpperInvariant())).ToArray();
        FigureStyle.CategoryTicks(plot.Axes.Bottom, names);
        plot.Axes.SetLimits(-0.6, categories.Length - 0.4, lo - pad, hi + 3 * pad);
        FigureStyle.Labels(plot, title, "method", "best test top-1 (%), mean ± std over seeds");
        plot.ShowLegend(Alignment.UpperLeft);
    }

    /// <summary>The chart over every finished run in <paramref name="runs"/>.</summary>
    /// <exception cref="ArgumentException">None of the runs has finished.</exception>
    public static Figure Make(IReadOnlyList<RunFolder> runs)
    {
        var (groups, _) = Aggregate(runs);
        if (groups.Count == 0) throw new ArgumentException("none of the runs has finished (summary.json \"finished\": false)", nameof(runs));
        var datasets = runs.Select(r => r.Summary.Dataset).Distinct().ToArray();
        var plot = FigureStyle.NewPlot();
        Draw(plot, $"Results on {string.Join(", ", datasets)}", groups);
        int categories = groups.Select(g => (g.Student, g.Method)).Distinct().Count();
        return new Figure(Math.Max(560, 150 * categories + 160), 500, plot);
    }
}
