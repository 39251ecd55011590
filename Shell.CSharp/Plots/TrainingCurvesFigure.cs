using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>Training curves: test top-1 and test loss per epoch, one line per run, side by side. Every
/// run has its own colour, line pattern and marker (<see cref="SeriesLook"/>), so that a study's nine
/// arms stay apart in grey print; the loss is on a log axis, because one diverging run (MLKD+LS's test
/// loss reaches ~10⁴) would otherwise flatten every other curve.</summary>
public static class TrainingCurvesFigure
{
    /// <summary>Adds one line per run of <paramref name="value"/> against the epoch; on a log axis when
    /// <paramref name="log"/> (points that are not positive and finite cannot be drawn there and are left out);
    /// the legend inside at <paramref name="legend"/>, else right of the axes with <paramref name="legendBeside"/>, else none.</summary>
    public static void Draw(Plot plot, string title, string yLabel,
                            IReadOnlyList<(string Name, IReadOnlyList<EpochMetrics> Rows)> runs,
                            Func<EpochMetrics, double> value, Alignment? legend, bool log, bool legendBeside = false)
    {
        var drawn = new List<double>();
        for (int i = 0; i < runs.Count; i++)
        {
            var (name, rows) = runs[i];
            var epochs = rows.Select(r => (double)r.Epoch).ToArray();
            var values = rows.Select(value).ToArray();
            var (xs, ys) = log ? LogAxis.Points(epochs, values) : (epochs, values);
            SeriesLook.Of(i).AddLine(plot, xs, ys, legend is null && !legendBeside ? null : name, phase: i);
            drawn.AddRange(log ? values.Where(LogAxis.Drawable) : values);
        }
        FigureStyle.Labels(plot, title, "epoch", log ? yLabel + " (log scale)" : yLabel);
        if (log && drawn.Count > 0) LogAxis.Apply(plot, drawn.Min(), drawn.Max());
        plot.Legend.DisplayPlottableLegendItems = false;
        if (legend is { } where) plot.ShowLegend(where);
        else if (legendBeside)
        {
            // Many runs: beside the axes, so that it covers no line. (Below them, ScottPlot 5.1 clips a
            // legend of more than five rows.)
            plot.ShowLegend(Edge.Right);
        }
    }

    /// <summary>Test top-1 (left) and test loss (right, log axis) of every run's <c>metrics.csv</c>; the legend
    /// inside both panels for up to four runs, beside the left one's axes beyond (the panels grow to hold it).</summary>
    public static Figure Make(IReadOnlyList<RunFolder> runs)
    {
        var labels = FigureStyle.RunLabels(runs);
        var series = runs.Select((r, i) => (labels[i], r.ReadMetrics())).ToArray();
        bool few = runs.Count <= 4;
        var top1 = FigureStyle.NewPlot();
        Draw(top1, "Test top-1", "top-1 (%)", series, m => m.TestTop1, few ? Alignment.LowerRight : null, log: false, legendBeside: !few);
        var loss = FigureStyle.NewPlot();
        // The lines look the same in both panels: beyond four runs one legend, beside the left panel,
        // is enough (inside, it would cover the lines).
        Draw(loss, "Test loss", "test loss", series, m => m.TestLoss, few ? Alignment.UpperRight : null, log: true);
        // Wider panels when the left one holds the legend beside its axes.
        return new Figure(few ? 620 : 720, 460, top1, loss);
    }
}
