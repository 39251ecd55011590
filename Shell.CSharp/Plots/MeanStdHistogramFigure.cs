using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>Figure 5: per test image, the mean of its logits against their std, as a 2-D histogram
/// (counts per cell) — one panel for the teacher, then one per student run.</summary>
public static class MeanStdHistogramFigure
{
    /// <summary>Cells per axis for <paramref name="samples"/> images: about √(N/5), from 11 to 41 (41 for
    /// a 10,000-image test set), so a small test set is not scattered over empty cells. Odd, so that a constant value (the std
    /// after a Z-score) lands in the middle of a cell rather than on an edge between two.</summary>
    public static int Bins(int samples) => Math.Clamp((int)Math.Sqrt(samples / 5.0), 11, 41) | 1;

    /// <summary>Counts of (x, y) pairs in <paramref name="bins"/> × <paramref name="bins"/> cells over the
    /// data's range. Row 0 is the highest y (heatmaps draw row 0 at the top). A range of zero width
    /// (e.g. the std of Z-scored logits, 1 for every image) is widened to ±0.5 so the cell is visible.</summary>
    public static (double[,] Counts, CoordinateRect Extent) Histogram2D(IReadOnlyList<double> xs, IReadOnlyList<double> ys, int bins)
    {
        var (x0, x1) = Span(xs);
        var (y0, y1) = Span(ys);
        var counts = new double[bins, bins];
        for (int i = 0; i < xs.Count; i++)
        {
            int cx = Cell(xs[i], x0, x1, bins), cy = Cell(ys[i], y0, y1, bins);
            counts[bins - 1 - cy, cx]++;
        }
        return (counts, new CoordinateRect(x0, x1, y0, y1));
    }

    private static (double Lo, double Hi) Span(IReadOnlyList<double> v)
    {
        double lo = v.Min(), hi = v.Max();
        // Float noise around a constant (1 − 1e-7 and 1 + 1e-16 after a Z-score) is no spread at all.
        if (hi - lo <= 1e-6 * Math.Max(1, Math.Abs(lo))) return (lo - 0.5, hi + 0.5);
        return (lo, hi);
    }

    private static int Cell(double v, double lo, double hi, int bins) =>
        Math.Clamp((int)((v - lo) / (hi - lo) * bins), 0, bins - 1);

    /// <summary>Adds the 2-D histogram of <paramref name="stats"/>' mean (x) against std (y); empty
    /// cells are left white so the occupied region stands out.</summary>
    public static void Draw(Plot plot, string title, IReadOnlyList<SampleStats> stats)
    {
        int bins = Bins(stats.Count);
        var (counts, extent) = Histogram2D(stats.Select(s => s.Mean).ToArray(), stats.Select(s => s.Std).ToArray(), bins);
        for (int r = 0; r < bins; r++)
            for (int c = 0; c < bins; c++)
                if (counts[r, c] == 0) counts[r, c] = double.NaN;
        var heatmap = plot.Add.Heatmap(counts);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = extent;
        heatmap.NaNCellColor = Colors.Transparent;
        // No colour-bar title (ScottPlot draws it onto the next panel); the x label says what colour means.
        plot.Add.ColorBar(heatmap);
        double meanStd = stats.Average(s => s.Std);
        FigureStyle.Labels(plot, $"{title}: std {FigureStyle.Num(meanStd)} on average", "logit mean (colour: test images per cell)", "logit std");
        plot.Axes.SetLimits(extent);
    }

    /// <summary>The teacher's panel (from the first run that saved teacher logits), then each run's
    /// student; from the Z-scored logits when <paramref name="standardized"/>.</summary>
    public static Figure Make(IReadOnlyList<RunFolder> runs, bool standardized)
    {
        var panels = new List<Plot>();
        var suffix = standardized ? " (Z-scored)" : "";
        void Panel(string title, LogitMatrix logits)
        {
            if (standardized) logits = LogitStats.ZScore(logits);
            var plot = FigureStyle.NewPlot();
            Draw(plot, title + suffix, LogitStats.PerSample(logits));
            panels.Add(plot);
        }
        var withTeacher = runs.FirstOrDefault(r => r.HasTeacherLogits);
        if (withTeacher is not null) Panel($"teacher ({withTeacher.Summary.Teacher})", withTeacher.ReadTeacherLogits());
        var labels = FigureStyle.RunLabels(runs);
        for (int r = 0; r < runs.Count; r++) Panel(labels[r], runs[r].ReadStudentLogits());
        return new Figure(520, 460, [.. panels]);
    }
}
