using System.Globalization;
using System.Text.RegularExpressions;
using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>The look shared by every figure: font, sizes, a colour-blind-friendly palette, and the
/// names that legends and axes show. Recipes start from <see cref="NewPlot"/> so that no figure
/// depends on ScottPlot's global defaults.</summary>
public static partial class FigureStyle
{
    /// <summary>The font: installed on the project's machines, and it has τ, µ and ±.</summary>
    public const string FontName = "DejaVu Sans";

    // Okabe & Ito's colour-blind-safe colours (2008), black left out so that it stays free for text,
    // and yellow last because it is faint on white.
    private static readonly string[] PaletteHex =
    [
        "#0072B2", // blue
        "#E69F00", // orange
        "#009E73", // bluish green
        "#D55E00", // vermillion
        "#CC79A7", // reddish purple
        "#56B4E9", // sky blue
        "#F0E442", // yellow
    ];

    // Beyond seven series (a study's nine arms in one figure): Paul Tol's "muted" set, also
    // colour-blind-safe, so that every series keeps a colour of its own up to sixteen.
    private static readonly string[] MoreHex =
        ["#332288", "#CC6677", "#117733", "#882255", "#44AA99", "#999933", "#AA4499", "#88CCEE", "#DDCC77"];

    /// <summary>The series colours: Okabe &amp; Ito's colour-blind-safe set, without black.</summary>
    // Declared after PaletteHex: static fields initialise in textual order.
    public static readonly IReadOnlyList<Color> Palette = PaletteHex.Select(Color.FromHex).ToArray();

    /// <summary>The colours of <see cref="Series"/>: the palette, then Tol's muted set.</summary>
    public static readonly IReadOnlyList<Color> ManyColors = PaletteHex.Concat(MoreHex).Select(Color.FromHex).ToArray();

    /// <summary>The teacher is always drawn in a neutral grey so the students keep the palette's colours.</summary>
    public static readonly Color Teacher = Color.FromHex("#7F7F7F");

    /// <summary>The colour of the <paramref name="i"/>-th series: distinct for the first sixteen.</summary>
    public static Color Series(int i) => ManyColors[i % ManyColors.Count];

    /// <summary>A plot with the project's font and text sizes, and the palette for anything not coloured explicitly.</summary>
    public static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Legend.FontName = FontName;
        plot.Legend.FontSize = 14;
        plot.Add.Palette = new ScottPlot.Palettes.Custom(PaletteHex);
        plot.Axes.Title.Label.FontSize = 18;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontSize = 16;
            axis.TickLabelStyle.FontSize = 14;
        }
        return plot;
    }

    /// <summary>Sets the title, x and y labels in one call.</summary>
    public static void Labels(Plot plot, string title, string x, string y)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
    }

    /// <summary>Category names on an axis, category <c>i</c> at <paramref name="position"/>(i) (default:
    /// at i). Every name up to 20 categories, rotated when they would collide; beyond that (K = 100)
    /// every tenth or so, by name, so the ticks stay readable and still follow the mapping.</summary>
    public static void CategoryTicks(IAxis axis, IReadOnlyList<string> names, Func<int, double>? position = null)
    {
        position ??= i => i;
        int step = names.Count <= 20 ? 1 : (int)Math.Ceiling(names.Count / 10.0);
        var shown = Enumerable.Range(0, names.Count).Where(i => i % step == 0).ToArray();
        axis.SetTicks(shown.Select(i => position(i)).ToArray(), shown.Select(i => names[i]).ToArray());
        // Rotated only when the labels would run into each other: many classes or long names.
        if (axis is ScottPlot.AxisPanels.XAxisBase x && shown.Length * shown.Max(i => names[i].Length) > 48)
        {
            axis.TickLabelStyle.Rotation = -40;
            axis.TickLabelStyle.Alignment = Alignment.MiddleRight;
            // ScottPlot sizes the axis for unrotated tick labels, so the axis title would sit on the
            // rotated ones; move it down by the labels' extra height (sin 40° × their width).
            float width = shown.Max(i => names[i].Length) * 0.6f * axis.TickLabelStyle.FontSize;
            x.PaddingBetweenTickAndAxisLabels = new PixelPadding(0, 0, 0.64f * width, 0);
        }
    }

    /// <summary>Fits the y axis to <paramref name="values"/> and leaves <paramref name="fraction"/> of their
    /// span free above them, so that a legend in an upper corner does not cover the tallest bars or
    /// lines. (Computed from the values: ScottPlot's data limits are not known before a render.)</summary>
    public static void Headroom(Plot plot, IEnumerable<double> values, double fraction)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values)
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        double span = Math.Max(hi - lo, 1e-9);
        plot.Axes.SetLimitsY(lo - 0.04 * span, hi + fraction * span);
    }

    /// <summary>The class names of a known dataset, else the class indices.</summary>
    public static IReadOnlyList<string> ClassNames(string dataset, int classes)
    {
        var key = new string(dataset.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();
        if (key == "fashionmnist" && classes == FashionMnist.Length) return FashionMnist;
        return Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    // Fashion-MNIST's labels 0..9, shortened to fit under a bar.
    private static readonly string[] FashionMnist =
        ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"];

    /// <summary>One legend label per run, unique: <see cref="RunSummary.Label"/>, prefixed by the
    /// student model when the runs trained different models (a teacher's own run beside its
    /// students); with the arm's temperature (<see cref="ArmTag"/>, <c>KD+LS(τ=0.5), seed 0</c>) when
    /// that still collides (two KD+LS arms of a study); the run's name when even that collides.</summary>
    public static IReadOnlyList<string> RunLabels(IReadOnlyList<RunFolder> runs)
    {
        bool severalModels = runs.Select(r => r.Summary.Student).Distinct().Count() > 1;
        string Prefix(RunSummary s) => severalModels ? s.Student + " " : "";
        var labels = runs.Select(r => Prefix(r.Summary) + r.Summary.Label).ToArray();
        if (labels.Distinct().Count() == labels.Length) return labels;
        var tagged = runs.Select(r => Prefix(r.Summary) + (r.Summary.Method == "none" ? "no KD" : ArmTag(r.Summary.Method, r.Summary.Standardize, r.Summary.Objective)) +
            $", seed {r.Summary.Seed.ToString(CultureInfo.InvariantCulture)}").ToArray();
        return tagged.Distinct().Count() == tagged.Length ? tagged : runs.Select(r => r.Summary.Name).ToArray();
    }

    /// <summary>The first temperature of a formula, <c>τ=2</c> or <c>T=4</c>; CTKD's learned one is not a number and is left out.</summary>
    [GeneratedRegex(@"(τ|T)=([0-9.]+)(?=[,)])")]
    private static partial Regex Temperature();

    /// <summary>An arm as the paper writes it: <c>KD+LS(τ=2)</c>, <c>DKD(T=4)</c>, <c>CTKD+LS</c>, or
    /// <c>alone</c> for method <c>none</c>. The temperature is read from the objective's formula
    /// (<c>Objectives.Describe</c>'s text), for a label only.</summary>
    public static string ArmTag(string method, bool standardize, string objective)
    {
        if (method == "none") return "alone";
        var m = Temperature().Match(objective);
        var tag = method.ToUpperInvariant() + (standardize ? "+LS" : "") + (m.Success ? $"({m.Value})" : "");
        if (method != "mlkd") return tag;
        // The study's MLKD ablation arms (not the paper's objective): which levels are missing or Z-scored.
        var parts = new List<string>();
        if (!objective.Contains("MLKD-class", StringComparison.Ordinal)) parts.Add("no class");
        if (!objective.Contains("MLKD-batch", StringComparison.Ordinal)) parts.Add("no batch");
        if (Regex.IsMatch(objective, @"MLKD-(class|batch)\([^)]*zscore\)")) parts.Add("levels Z-scored");
        return parts.Count == 0 ? tag : $"{tag} [{string.Join(", ", parts)}]";
    }

    /// <summary>A number for a title or legend, invariant culture.</summary>
    public static string Num(double x, int decimals = 2) => x.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
