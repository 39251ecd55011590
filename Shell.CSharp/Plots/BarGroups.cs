using ScottPlot;

namespace LogitStd.Shell.Plots;

/// <summary>Side-by-side bars: for each category 0..n−1, one bar per series, centred on the category.</summary>
internal static class BarGroups
{
    /// <summary>Adds the bars; <paramref name="values"/>[s][c] is series s at category c.</summary>
    public static void Add(Plot plot, IReadOnlyList<string> legends, IReadOnlyList<Color> colors,
                           IReadOnlyList<double[]> values, IReadOnlyList<double[]>? errors = null)
    {
        const double groupWidth = 0.8;
        int series = values.Count;
        double width = groupWidth / series;
        for (int s = 0; s < series; s++)
        {
            var bars = values[s].Select((v, c) => new Bar
            {
                Position = c - groupWidth / 2 + width * (s + 0.5),
                Value = v,
                Size = width * 0.95,
                FillColor = colors[s],
                LineWidth = 0,
                Error = errors is null ? 0 : errors[s][c],
            }).ToArray();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = legends[s];
        }
    }
}
