using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>The levels figure: per epoch, each run's weighted loss terms (<c>loss_&lt;term&gt;</c>), each
/// term's gradient norm at the student's logits (<c>grad_&lt;term&gt;</c>, when the experiment logged them)
/// and the student's raw-logit std (<c>logit_std</c>), one panel each, all on log axes — to see which of
/// MLKD's levels dominates the update, and how the logits' scale moves with it. A run is a colour and a
/// line pattern; a term is a marker shape.</summary>
public static class LevelsFigure
{
    /// <summary>One run's series: its label, look and metrics.</summary>
    private sealed record Series(string Label, SeriesLook Look, IReadOnlyList<EpochMetrics> Rows);

    /// <summary>Adds, for every run and every term, the term's value per epoch (<paramref name="terms"/> picks
    /// the name-value pairs of a row); a term's marker is its index in <paramref name="termNames"/>, the same
    /// in every panel.
    /// Returns the values drawn (positive and finite: the others cannot sit on a log axis).</summary>
    private static List<double> DrawTerms(Plot plot, IReadOnlyList<Series> runs, IReadOnlyList<string> termNames,
                                          Func<EpochMetrics, IReadOnlyList<KeyValuePair<string, double>>?> terms)
    {
        var drawn = new List<double>();
        var present = new HashSet<int>();
        for (int i = 0; i < runs.Count; i++)
            for (int j = 0; j < termNames.Count; j++)
            {
                var rows = runs[i].Rows.Where(r => terms(r)?.Any(t => t.Key == termNames[j]) == true).ToList();
                if (rows.Count == 0) continue;
                present.Add(j);
                var values = rows.Select(r => terms(r)!.First(t => t.Key == termNames[j]).Value).ToArray();
                var (xs, ys) = LogAxis.Points(rows.Select(r => (double)r.Epoch).ToArray(), values);
                (runs[i].Look with { Marker = SeriesLook.Markers[j % SeriesLook.Markers.Count] }).AddLine(plot, xs, ys, null, phase: i + j);
                drawn.AddRange(values.Where(LogAxis.Drawable));
            }
        // The terms' legend: their markers, in a neutral colour since the colour is the run's.
        foreach (var j in present.Order())
            plot.Legend.ManualItems.Add(new SeriesLook(Colors.DimGray, LinePattern.Solid, SeriesLook.Markers[j % SeriesLook.Markers.Count])
                .LegendEntry(termNames[j], line: false, marker: true));
        return drawn;
    }

    private static void Finish(Plot plot, string title, string yLabel, List<double> drawn)
    {
        FigureStyle.Labels(plot, title, "epoch", yLabel + " (log scale)");
        // Room above the lines for the legend: about 24 px per entry of the ~380 px of data.
        int entries = plot.Legend.ManualItems.Count;
        if (drawn.Count > 0) LogAxis.Apply(plot, drawn.Min(), drawn.Max(), headroom: Math.Min(1.5, 24.0 * entries / Math.Max(120, 380 - 24 * entries)));
        plot.Legend.DisplayPlottableLegendItems = false;
        plot.ShowLegend(Alignment.UpperRight);
    }

    /// <summary>The figure over <paramref name="runs"/>; <paramref name="note"/> is told which runs did not log
    /// their gradient norms (their losses and std are drawn all the same; without any, the gradient panel is
    /// left out).</summary>
    /// <exception cref="RunFolderException">A run's <c>metrics.csv</c> has neither <c>logit_std</c> nor a
    /// <c>grad_*</c> column (written before they were logged), or is missing or damaged.</exception>
    public static Figure Make(IReadOnlyList<RunFolder> runs, Action<string> note)
    {
        var labels = FigureStyle.RunLabels(runs);
        var series = runs.Select((r, i) => new Series(labels[i], SeriesLook.Of(i), r.ReadMetrics())).ToList();
        for (int i = 0; i < runs.Count; i++)
        {
            bool hasStd = series[i].Rows.Any(r => r.LogitStd is not null);
            bool grads = series[i].Rows.Any(r => r.TermGradients is { Count: > 0 });
            if (!hasStd && !grads)
                throw new RunFolderException(runs[i].MetricsFile, null,
                    "no logit_std and no grad_<term> columns (written before the trainer logged them); train the run again to draw its levels");
            if (!grads) note($"{runs[i].MetricsFile}: gradient norms were not logged (set experiment.log_term_gradients: true); its losses and logit std are drawn");
            if (!hasStd) note($"{runs[i].MetricsFile}: no logit_std column; its losses and gradient norms are drawn");
        }
        // Every term of a loss or gradient column, in order of appearance: a term's marker is its place here.
        var termNames = series.SelectMany(s => s.Rows.SelectMany(r => r.Terms.Concat(r.TermGradients ?? []).Select(t => t.Key))).Distinct().ToList();
        var panels = new List<Plot>();

        var losses = FigureStyle.NewPlot();
        Finish(losses, "Loss terms (weighted)", "loss", DrawTerms(losses, series, termNames, r => r.Terms));
        panels.Add(losses);

        if (series.Any(s => s.Rows.Any(r => r.TermGradients is { Count: > 0 })))
        {
            var gradients = FigureStyle.NewPlot();
            Finish(gradients, "Gradient norm at the student's logits", "‖∂ term / ∂ logits‖₂",
                DrawTerms(gradients, series, termNames, r => r.TermGradients));
            panels.Add(gradients);
        }

        var std = FigureStyle.NewPlot();
        var drawn = new List<double>();
        for (int i = 0; i < series.Count; i++)
        {
            var rows = series[i].Rows.Where(r => r.LogitStd is not null).ToList();
            var values = rows.Select(r => r.LogitStd!.Value).ToArray();
            var (xs, ys) = LogAxis.Points(rows.Select(r => (double)r.Epoch).ToArray(), values);
            series[i].Look.AddLine(std, xs, ys, series[i].Label, phase: i, marker: false);
            drawn.AddRange(values.Where(LogAxis.Drawable));
        }
        Finish(std, "Student's raw-logit std", "mean per-image std", drawn);
        panels.Add(std);
        return new Figure(580, 480, [.. panels]);
    }
}
