using LogitStd.Core;
using ScottPlot;
using TorchSharp;

namespace LogitStd.Shell.Plots;

/// <summary>Figure 2's toy case (PAPER.md §7) with every number computed by the core: the logits,
/// their Z-scores and the KD losses of two students against one teacher.</summary>
/// <param name="Classes">The four class names.</param>
/// <param name="Logits">Teacher, S1 and S2, raw.</param>
/// <param name="Standardized">The same three vectors after the core's Z-score.</param>
/// <param name="RawKd">KD(S1, teacher) and KD(S2, teacher) on raw logits at T = 1.</param>
/// <param name="StandardizedKd">The same losses with standardization on.</param>
public sealed record ToyCase(
    IReadOnlyList<string> Classes, IReadOnlyList<double[]> Logits, IReadOnlyList<double[]> Standardized,
    IReadOnlyList<double> RawKd, IReadOnlyList<double> StandardizedKd)
{
    /// <summary>The series names, in the order of <see cref="Logits"/>.</summary>
    public static readonly IReadOnlyList<string> Models = ["teacher", "S1", "S2"];

    /// <summary>The paper's temperature for the toy case.</summary>
    public const double Temperature = 1.0;

    /// <summary>Computes the case: teacher [1, 4, 3, 2]; S1 [1, 2.8, 3, 2] predicts the wrong class with
    /// the teacher's magnitude; S2 [0, 0.3, 0.2, 0.1] the right one at a tenth of the range.</summary>
    public static ToyCase Compute()
    {
        string[] classes = ["Cat", "Dog", "Bird", "Frog"];
        double[][] logits = [[1, 4, 3, 2], [1, 2.8, 3, 2], [0, 0.3, 0.2, 0.1]];
        using var scope = torch.NewDisposeScope();
        // float64 so the figure shows the losses as the verification tests see them.
        torch.Tensor Row(double[] x) => torch.tensor(x, [1, x.Length], torch.float64);
        var teacher = Row(logits[0]);
        double Loss(double[] student, bool standardize) =>
            Distillation.Kd(Row(student), teacher, Temperature, standardize).item<double>();
        var standardized = logits.Select(x => Distillation.ZScore(Row(x)).data<double>().ToArray()).ToArray();
        return new ToyCase(classes, logits, standardized,
            [Loss(logits[1], false), Loss(logits[2], false)],
            [Loss(logits[1], true), Loss(logits[2], true)]);
    }
}

/// <summary>Figure 2: the toy case as grouped bars, raw logits on the left, Z-scored on the right,
/// each student's KD loss in the legend.</summary>
public static class ToyCaseFigure
{
    /// <summary>Adds one panel: per class, a bar for the teacher, S1 and S2; each one's predicted class and the students' KD losses in the legend.</summary>
    public static void Draw(Plot plot, string title, IReadOnlyList<string> classes, IReadOnlyList<double[]> logits, IReadOnlyList<double> kd)
    {
        // The predicted class (argmax, the same raw or Z-scored) is the point of the figure: the raw
        // loss prefers S1, which predicts the wrong class.
        string Predicts(double[] x) => classes[Array.IndexOf(x, x.Max())];
        var legends = new[]
        {
            $"teacher: {Predicts(logits[0])}",
            $"S1: {Predicts(logits[1])}, KD {FigureStyle.Num(kd[0], 4)}",
            $"S2: {Predicts(logits[2])}, KD {FigureStyle.Num(kd[1], 4)}",
        };
        var colors = new[] { FigureStyle.Teacher, FigureStyle.Series(3), FigureStyle.Series(0) };
        BarGroups.Add(plot, legends, colors, logits);
        FigureStyle.CategoryTicks(plot.Axes.Bottom, classes);
        plot.Add.HorizontalLine(0, 1, Colors.Black);
        FigureStyle.Labels(plot, title, "class", "logit");
        plot.ShowLegend(Alignment.UpperLeft);
        FigureStyle.Headroom(plot, logits.SelectMany(x => x).Append(0), 0.45);
    }

    /// <summary>The two-panel figure for <paramref name="toy"/>.</summary>
    public static Figure Make(ToyCase toy)
    {
        var raw = FigureStyle.NewPlot();
        Draw(raw, "Raw logits (T = 1)", toy.Classes, toy.Logits, toy.RawKd);
        var standardized = FigureStyle.NewPlot();
        Draw(standardized, "Z-scored logits (T = 1)", toy.Classes, toy.Standardized, toy.StandardizedKd);
        return new Figure(560, 440, raw, standardized);
    }
}
