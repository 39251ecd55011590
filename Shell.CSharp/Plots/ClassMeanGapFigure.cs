using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>Figure 3, row 2: the heatmap of |M_student − M_teacher| (class-mean logit matrices,
/// diagonal zeroed), its mean and max in the title.</summary>
public static class ClassMeanGapFigure
{
    /// <summary>The mean over all K² entries (the zeroed diagonal included, as the matrix is drawn)
    /// and the max of a gap matrix.</summary>
    public static (double Mean, double Max) Summary(double[,] gap)
    {
        var all = gap.Cast<double>().ToArray();
        return (all.Average(), all.Max());
    }

    /// <summary>Adds the heatmap with a colour bar. Row l (label) is drawn top to bottom, column j
    /// (logit) left to right, as the matrix is written.</summary>
    public static void Draw(Plot plot, string name, double[,] gap, IReadOnlyList<string> classNames)
    {
        int k = gap.GetLength(0);
        var heatmap = plot.Add.Heatmap(gap);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        // Cell centres at integer coordinates; ScottPlot draws row 0 at the top of the extent.
        heatmap.Extent = new CoordinateRect(-0.5, k - 0.5, -0.5, k - 0.5);
        // The colour bar has no title: ScottPlot draws it outside the panel, onto the next one; the
        // figure's title says what the colour is.
        plot.Add.ColorBar(heatmap);
        var (mean, max) = Summary(gap);
        FigureStyle.Labels(plot, $"|M_s − M_t|, {name}: mean {FigureStyle.Num(mean)}, max {FigureStyle.Num(max)}", "logit of class", "label");
        FigureStyle.CategoryTicks(plot.Axes.Bottom, classNames);
        // y runs upwards, so label l sits at y = k − 1 − l.
        FigureStyle.CategoryTicks(plot.Axes.Left, classNames, l => k - 1 - l);
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
    }

    /// <summary>One panel per run: its student's class means against its teacher's, from the raw
    /// logits or, when <paramref name="standardized"/>, from the Z-scored ones.</summary>
    public static Figure Make(IReadOnlyList<RunFolder> runs, bool standardized)
    {
        var panels = new List<Plot>();
        foreach (var run in runs)
        {
            var student = run.ReadStudentLogits();
            var teacher = run.ReadTeacherLogits();
            LogitBarsFigure.SameTestSet(run, student, teacher);
            if (standardized)
            {
                student = LogitStats.ZScore(student);
                teacher = LogitStats.ZScore(teacher);
            }
            var gap = LogitStats.ClassMeanGap(LogitStats.ClassMeans(student), LogitStats.ClassMeans(teacher));
            var plot = FigureStyle.NewPlot();
            Draw(plot, run.Summary.MethodLabel + (standardized ? " (Z-scored)" : ""), gap,
                 FigureStyle.ClassNames(run.Summary.Dataset, student.Classes));
            panels.Add(plot);
        }
        return new Figure(600, 540, [.. panels]);
    }
}
