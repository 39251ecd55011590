using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>Distributions of the per-image logit range (max − min) over the test set: the teacher's
/// and each student run's, overlaid on one set of bins.</summary>
public static class RangeDistributionFigure
{
    /// <summary>Bins over the pooled ranges.</summary>
    public const int Bins = 50;

    /// <summary>Adds one outlined histogram per series (step lines, so overlapping series stay
    /// readable), as the fraction of test images per bin so runs of any size compare.</summary>
    public static void Draw(Plot plot, string title, IReadOnlyList<(string Name, double[] Ranges, Color Color)> series)
    {
        double lo = series.Min(s => s.Ranges.Min()), hi = series.Max(s => s.Ranges.Max());
        if (hi - lo <= 1e-9) { lo -= 0.5; hi += 0.5; }
        double width = (hi - lo) / Bins;
        var edges = Enumerable.Range(0, Bins + 1).Select(b => lo + b * width).ToArray();
        var heights = new List<double> { 0 };
        foreach (var (name, ranges, color) in series)
        {
            var fraction = new double[Bins + 1];
            foreach (var r in ranges) fraction[Math.Clamp((int)((r - lo) / width), 0, Bins - 1)] += 1.0 / ranges.Length;
            // The last edge repeats the last bin so the step line closes the final bin.
            fraction[Bins] = fraction[Bins - 1];
            heights.AddRange(fraction);
            var line = plot.Add.Scatter(edges, fraction, color);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = $"{name} (median {FigureStyle.Num(Median(ranges))})";
        }
        FigureStyle.Labels(plot, title, "logit range (max − min) per test image", "fraction of test images");
        plot.ShowLegend(Alignment.UpperRight);
        FigureStyle.Headroom(plot, heights, 0.1 + 0.12 * series.Count);
    }

    /// <summary>The teacher (from the first run that saved its logits) and every run's student.</summary>
    public static Figure Make(IReadOnlyList<RunFolder> runs, bool standardized)
    {
        var series = new List<(string, double[], Color)>();
        double[] Ranges(LogitMatrix m) =>
            LogitStats.PerSample(standardized ? LogitStats.ZScore(m) : m).Select(s => s.Range).ToArray();
        var withTeacher = runs.FirstOrDefault(r => r.HasTeacherLogits);
        if (withTeacher is not null)
            series.Add(($"teacher ({withTeacher.Summary.Teacher})", Ranges(withTeacher.ReadTeacherLogits()), FigureStyle.Teacher));
        var labels = FigureStyle.RunLabels(runs);
        for (int r = 0; r < runs.Count; r++) series.Add((labels[r], Ranges(runs[r].ReadStudentLogits()), FigureStyle.Series(r)));
        var plot = FigureStyle.NewPlot();
        Draw(plot, standardized ? "Logit range per test image (Z-scored)" : "Logit range per test image", series);
        return new Figure(760, 480, plot);
    }

    private static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
