using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>Training curves: test top-1 and test loss per epoch, one line per run, side by side.</summary>
public static class TrainingCurvesFigure
{
    /// <summary>Adds one line per run of <paramref name="value"/> against the epoch.</summary>
    public static void Draw(Plot plot, string title, string yLabel,
                            IReadOnlyList<(string Name, IReadOnlyList<EpochMetrics> Rows, Color Color)> runs,
                            Func<EpochMetrics, double> value, Alignment legend)
    {
        foreach (var (name, rows, color) in runs)
        {
            var line = plot.Add.Scatter(rows.Select(r => (double)r.Epoch).ToArray(), rows.Select(value).ToArray(), color);
            line.LineWidth = 2;
            // Markers only when there are few epochs; on long runs they would hide the line.
            line.MarkerSize = rows.Count <= 30 ? 5 : 0;
            line.LegendText = name;
        }
        FigureStyle.Labels(plot, title, "epoch", yLabel);
        plot.ShowLegend(legend);
    }

    /// <summary>Test top-1 (left) and test loss (right) of every run's <c>metrics.csv</c>.</summary>
    public static Figure Make(IReadOnlyList<RunFolder> runs)
    {
        var labels = FigureStyle.RunLabels(runs);
        var series = runs.Select((r, i) => (labels[i], r.ReadMetrics(), FigureStyle.Series(i))).ToArray();
        var top1 = FigureStyle.NewPlot();
        Draw(top1, "Test top-1", "top-1 (%)", series, m => m.TestTop1, Alignment.LowerRight);
        var loss = FigureStyle.NewPlot();
        Draw(loss, "Test loss", "test loss", series, m => m.TestLoss, Alignment.UpperRight);
        return new Figure(620, 460, top1, loss);
    }
}
