using System.Diagnostics;
using System.Globalization;
using System.Text;
using ScottPlot;
using LogitStd.Shell.Embedding;
using LogitStd.Shell.Runs;
using static TorchSharp.torch;

namespace LogitStd.Shell.Plots;

/// <summary>One panel of Figure 4: whose features, the test images' labels and dataset indices, and
/// the 2-D embedding with its KL divergence.</summary>
public sealed record TsnePanel(string Title, string FeaturesFile, int[] Indices, int[] Labels, double[] Embedding, double Kl, int Iterations, double Seconds);

/// <summary>
/// Figure 4: t-SNE of the pooled penultimate features of the test set (<c>analysis/*_test_features.npy</c>),
/// the teacher first, then each run in the order given (the paper's: each method without, then with
/// LS); one colour per class, a legend of class names, no ticks (t-SNE's axes have no units). Every
/// panel embeds the same test images, so that the panels are comparable.
/// </summary>
public static class TsneFigure
{
    /// <summary>The subset's generator seed: fixed, so that every figure of a study samples the same images.</summary>
    public const int SampleSeed = 0;

    /// <summary>Ten class colours that stay apart in a dense scatter: Okabe &amp; Ito's without yellow (faint
    /// as 3-pixel dots), then Tol's olive, indigo, wine and a dark grey; beyond ten they repeat.</summary>
    static readonly Color[] ClassColors = new[]
    {
        "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999933", "#332288", "#882255", "#444444",
    }.Select(Color.FromHex).ToArray();

    /// <summary>Adds one panel's points, class by class, and its title.</summary>
    public static void Draw(Plot plot, TsnePanel panel, IReadOnlyList<string> classNames)
    {
        for (int c = 0; c < classNames.Count; c++)
        {
            var members = Enumerable.Range(0, panel.Labels.Length).Where(i => panel.Labels[i] == c).ToArray();
            if (members.Length == 0) continue;
            var scatter = plot.Add.ScatterPoints(members.Select(i => panel.Embedding[2 * i]).ToArray(), members.Select(i => panel.Embedding[2 * i + 1]).ToArray(), ClassColors[c % ClassColors.Length]);
            scatter.MarkerSize = 3;
        }
        // The legend's own entries: a 3-pixel dot, the scatter's, would be too small to tell the colours apart.
        plot.Legend.DisplayPlottableLegendItems = false;
        for (int c = 0; c < classNames.Count; c++)
        {
            var color = ClassColors[c % ClassColors.Length];
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = classNames[c], LineWidth = 0, LineColor = Colors.Transparent,
                MarkerShape = MarkerShape.FilledCircle, MarkerFillColor = color, MarkerLineColor = color, MarkerSize = 10,
            });
        }
        plot.Title($"{panel.Title}\nKL {FigureStyle.Num(panel.Kl, 3)}");
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.TickLabelStyle.IsVisible = false;
            axis.MajorTickStyle.Length = 0;
            axis.MinorTickStyle.Length = 0;
        }
        plot.HideGrid();
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.FontSize = 12;
        plot.ShowLegend(Edge.Bottom);
    }

    /// <summary>
    /// Reads the features and labels, embeds each panel (<paramref name="settings"/>; a seeded subset of
    /// <paramref name="sample"/> images when given) and returns the panels; <paramref name="report"/> gets
    /// one line per panel (points, features, KL, iterations, seconds).
    /// </summary>
    /// <exception cref="RunFolderException">A features or logits file is missing, malformed, or does not
    /// match the others' image count.</exception>
    public static IReadOnlyList<TsnePanel> Embed(IReadOnlyList<RunFolder> runs, RunFolder? teacher, int? sample, TsneSettings settings, Action<string> report)
    {
        var sources = new List<(string Title, string Features, RunFolder LabelsFrom)>();
        if (teacher is not null)
            sources.Add(($"teacher ({teacher.Summary.Student})", FeaturesOf(teacher, "student"), teacher));
        else if (runs.Count > 0 && File.Exists(FeaturesOf(runs[0], "teacher")))
            sources.Add(($"teacher ({runs[0].Summary.Teacher})", FeaturesOf(runs[0], "teacher"), runs[0]));
        var labels = FigureStyle.RunLabels(runs);
        for (int r = 0; r < runs.Count; r++) sources.Add((labels[r], FeaturesOf(runs[r], "student"), runs[r]));

        var panels = new List<TsnePanel>();
        int[] indices = [];
        int firstRows = 0;
        foreach (var (title, file, labelsFrom) in sources)
        {
            var logits = labelsFrom.ReadStudentLogits();
            var features = FeatureFile.Read(file);
            if (features.Rows != logits.Samples)
                throw new RunFolderException(file, null, $"{features.Rows} feature rows, but {labelsFrom.StudentLogitsFile} has {logits.Samples} test images (one row per test image expected)");
            if (features.Columns < 2)
                throw new RunFolderException(file, null, $"{features.Columns} feature column(s); t-SNE needs at least 2");
            if (panels.Count == 0)
                (indices, firstRows) = (Subset(features.Rows, sample), features.Rows);
            else if (features.Rows != firstRows)
                throw new RunFolderException(file, null, $"{features.Rows} test images, but {panels[0].FeaturesFile} has {firstRows}: the panels must embed the same test set");
            var watch = Stopwatch.StartNew();
            using var x = Rows(features, indices);
            var result = Tsne.Run(x, settings);
            var panel = new TsnePanel(title, file, indices, indices.Select(logits.Label).ToArray(), result.Embedding, result.Kl, result.Iterations, watch.Elapsed.TotalSeconds);
            report(string.Create(CultureInfo.InvariantCulture,
                $"{title}: {indices.Length} images × {features.Columns} features from {file}: KL {result.Kl:F4} after {result.Iterations} iterations, {panel.Seconds:F1} s ({result.SetupSeconds:F1} s neighbours, affinities and PCA)"));
            panels.Add(panel);
        }
        return panels;
    }

    /// <summary>All row indices, or <paramref name="sample"/> of them drawn without replacement with
    /// <see cref="SampleSeed"/>, ascending (dataset order).</summary>
    public static int[] Subset(int rows, int? sample)
    {
        if (sample is not { } n || n >= rows) return Enumerable.Range(0, rows).ToArray();
        var all = Enumerable.Range(0, rows).ToArray();
        var rng = new Random(SampleSeed);
        for (int i = 0; i < n; i++)
        {
            int j = rng.Next(i, rows);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all.Take(n).Order().ToArray();
    }

    /// <summary>Draws the panels side by side, 480 × 560 pixels each.</summary>
    public static Figure Make(IReadOnlyList<TsnePanel> panels, IReadOnlyList<string> classNames)
    {
        var plots = panels.Select(p =>
        {
            var plot = FigureStyle.NewPlot();
            Draw(plot, p, classNames);
            return plot;
        }).ToArray();
        return new Figure(480, 560, plots);
    }

    /// <summary>
    /// Writes each panel's embedding beside the figure: <c>STEM_panelI_SLUG.csv</c>, header
    /// <c>index,label,x,y</c>, one row per embedded image (<c>index</c>: its position in the test set's
    /// dataset order). Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> WriteCsv(string figurePath, IReadOnlyList<TsnePanel> panels)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(figurePath))!;
        var stem = Path.GetFileNameWithoutExtension(figurePath);
        var files = new List<string>();
        for (int p = 0; p < panels.Count; p++)
        {
            var panel = panels[p];
            var slug = new string(panel.Title.ToLowerInvariant().Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '_').ToArray()).Trim('_');
            while (slug.Contains("__", StringComparison.Ordinal)) slug = slug.Replace("__", "_", StringComparison.Ordinal);
            var path = Path.Combine(dir, $"{stem}_panel{p}_{slug}.csv");
            Persistence.Atomic.Write(path, stream =>
            {
                using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                w.WriteLine("index,label,x,y");
                for (int i = 0; i < panel.Indices.Length; i++)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{panel.Indices[i]},{panel.Labels[i]},{panel.Embedding[2 * i]:R},{panel.Embedding[2 * i + 1]:R}"));
            });
            files.Add(path);
        }
        return files;
    }

    static string FeaturesOf(RunFolder run, string role) => Path.Combine(run.Path, RunFiles.TestFeatures(role));

    /// <summary>The chosen rows as a float64 <c>[n, D]</c> tensor (t-SNE's distances in float64).</summary>
    static Tensor Rows(FeatureMatrix m, int[] indices)
    {
        var data = new double[indices.Length * m.Columns];
        for (int r = 0; r < indices.Length; r++)
            for (int c = 0; c < m.Columns; c++) data[r * m.Columns + c] = m[indices[r], c];
        return tensor(data, [indices.Length, m.Columns]);
    }
}
