using ScottPlot;

namespace LogitStd.Shell.Plots;

/// <summary>How one line of a many-line figure looks: its own colour, and a line pattern and marker
/// shape of its own too, so that the lines stay apart in grey print and for colour-blind readers.
/// The pattern cycles over 3 and the marker over 8, so (pattern, marker) is distinct for the first
/// 24 series; the colour for the first 16 (<see cref="FigureStyle.Series"/>).</summary>
public readonly record struct SeriesLook(Color Color, LinePattern Pattern, MarkerShape Marker)
{
    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted];

    /// <summary>Marker shapes, filled first; open ones after so that they still differ from the filled in grey.</summary>
    public static readonly IReadOnlyList<MarkerShape> Markers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond,
        MarkerShape.OpenCircle, MarkerShape.OpenSquare, MarkerShape.OpenTriangleDown, MarkerShape.Cross,
    ];

    /// <summary>The look of the <paramref name="i"/>-th series.</summary>
    public static SeriesLook Of(int i) => new(FigureStyle.Series(i), Patterns[i % Patterns.Length], Markers[i % Markers.Count]);

    /// <summary>Adds a line through (<paramref name="xs"/>, <paramref name="ys"/>) in this look with a legend
    /// entry <paramref name="label"/> (none when null). Markers on every point of a short series; on a long
    /// one on about twelve, shifted by <paramref name="phase"/> so that the markers of several lines do not sit
    /// on each other. With <paramref name="marker"/> false the line has no markers.</summary>
    public void AddLine(Plot plot, double[] xs, double[] ys, string? label, int phase, bool marker = true)
    {
        var line = plot.Add.ScatterLine(xs, ys, Color);
        line.LineWidth = 2;
        line.LinePattern = Pattern;
        if (marker && xs.Length > 0)
        {
            int step = xs.Length <= 30 ? 1 : (int)Math.Ceiling(xs.Length / 12.0);
            var at = Enumerable.Range(0, xs.Length).Where(i => i % step == phase % step).ToArray();
            var points = plot.Add.ScatterPoints(at.Select(i => xs[i]).ToArray(), at.Select(i => ys[i]).ToArray(), Color);
            points.MarkerShape = Marker;
            points.MarkerSize = 7;
        }
        if (label is not null) plot.Legend.ManualItems.Add(LegendEntry(label, line: true, marker));
    }

    /// <summary>A legend entry in this look: its line, its marker, or both.</summary>
    public LegendItem LegendEntry(string label, bool line, bool marker) => new()
    {
        LabelText = label,
        LineColor = line ? Color : Colors.Transparent,
        LinePattern = Pattern,
        LineWidth = line ? 2 : 0,
        MarkerShape = marker ? Marker : MarkerShape.None,
        MarkerFillColor = Color,
        MarkerLineColor = Color,
        MarkerSize = marker ? 7 : 0,
    };
}
