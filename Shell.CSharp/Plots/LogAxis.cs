using System.Globalization;
using ScottPlot;

namespace LogitStd.Shell.Plots;

/// <summary>A log-scale y axis. ScottPlot 5 has no log axis: a figure plots log10 of its values, and
/// this sets the ticks at the real values' positions (1, 2, 5 × 10^k or every decade, depending on the
/// span; minor ticks at the other integers × 10^k), labelled with the real values.</summary>
public static class LogAxis
{
    /// <summary>Whether a value can be drawn on a log axis (finite and positive).</summary>
    public static bool Drawable(double v) => double.IsFinite(v) && v > 0;

    /// <summary>The points of (<paramref name="xs"/>, <paramref name="ys"/>) whose y is drawable, y as log10.</summary>
    public static (double[] X, double[] Log10Y) Points(IReadOnlyList<double> xs, IReadOnlyList<double> ys)
    {
        var keep = Enumerable.Range(0, Math.Min(xs.Count, ys.Count)).Where(i => Drawable(ys[i])).ToArray();
        return (keep.Select(i => xs[i]).ToArray(), keep.Select(i => Math.Log10(ys[i])).ToArray());
    }

    /// <summary>Makes the left axis of <paramref name="plot"/> a log axis over the real values
    /// [<paramref name="min"/>, <paramref name="max"/>] (both positive), with a little room at both ends and
    /// <paramref name="headroom"/> × the span more above (room for a legend in an upper corner).</summary>
    public static void Apply(Plot plot, double min, double max, double headroom = 0)
    {
        double lo = Math.Log10(min), hi = Math.Log10(max);
        if (hi - lo < 0.05) { lo -= 0.1; hi += 0.1; }
        double pad = 0.05 * (hi - lo);
        lo -= pad;
        hi += pad + headroom * (hi - lo);
        double span = hi - lo;
        // Enough labelled ticks for a narrow span, not too many for a wide one.
        int[] major = span > 2.5 ? [1] : span > 0.8 ? [1, 2, 5] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int k = (int)Math.Floor(lo); k <= (int)Math.Ceiling(hi); k++)
            for (int m = 1; m <= 9; m++)
            {
                double position = k + Math.Log10(m);
                if (position < lo || position > hi) continue;
                if (major.Contains(m)) ticks.AddMajor(position, Label(m * Math.Pow(10, k)));
                else ticks.AddMinor(position);
            }
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimitsY(lo, hi);
    }

    /// <summary>A tick label: plain below 10⁵ and from 10⁻³ (<c>0.02</c>, <c>11000</c>), else <c>1e5</c>.</summary>
    public static string Label(double v) =>
        v >= 1e5 || v < 1e-3
            ? v.ToString("0.#e0", CultureInfo.InvariantCulture)
            : v.ToString("0.###", CultureInfo.InvariantCulture);
}
