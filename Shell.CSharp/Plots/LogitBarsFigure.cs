using ScottPlot;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Plots;

/// <summary>Figure 3, row 1: one test image's K logits, the teacher's and a student's overlaid, each
/// one's std in the legend (raw, or both Z-scored).</summary>
public static class LogitBarsFigure
{
    /// <summary>Adds the overlaid bars: the teacher's wide and grey behind, the student's narrower in
    /// colour in front, so both stay visible where they overlap without relying on transparency.</summary>
    public static void Draw(Plot plot, string title, IReadOnlyList<string> classNames,
                            double[] teacher, double[] student, string studentName, Color studentColor, string yLabel = "logit")
    {
        Color[] colors = [FigureStyle.Teacher, studentColor];
        double[][] rows = [teacher, student];
        string[] names = ["teacher", studentName];
        double[] widths = [0.8, 0.45];
        for (int s = 0; s < 2; s++)
        {
            var row = rows[s];
            var bars = plot.Add.Bars(row.Select((v, c) => new Bar
            {
                Position = c, Value = v, Size = widths[s], FillColor = colors[s], LineWidth = 0,
            }).ToArray());
            bars.LegendText = $"{names[s]} (std {FigureStyle.Num(SampleStd(row))})";
        }
        plot.Add.HorizontalLine(0, 1, Colors.Black);
        FigureStyle.CategoryTicks(plot.Axes.Bottom, classNames);
        FigureStyle.Labels(plot, title, "class", yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        FigureStyle.Headroom(plot, teacher.Concat(student).Append(0), 0.35);
    }

    /// <summary>One panel per run: image <paramref name="sample"/> of the test set, the run's student
    /// against the teacher whose logits the run saved; Z-scored when <paramref name="standardized"/>.</summary>
    public static Figure Make(IReadOnlyList<RunFolder> runs, int sample, bool standardized)
    {
        var panels = new List<Plot>();
        for (int r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            var student = run.ReadStudentLogits();
            var teacher = run.ReadTeacherLogits();
            SameTestSet(run, student, teacher);
            if (sample < 0 || sample >= student.Samples)
                // A flag out of range for this run (exit 2), not a damaged file.
                throw new UsageException(
                    $"--sample {sample} is out of range: {run.StudentLogitsFile} has {student.Samples} test images (0..{student.Samples - 1})");
            var t = teacher.Row(sample);
            var s = student.Row(sample);
            if (standardized)
            {
                t = LogitStats.ZScore(new LogitMatrix(ToMatrix(t), [teacher.Label(sample)])).Row(0);
                s = LogitStats.ZScore(new LogitMatrix(ToMatrix(s), [student.Label(sample)])).Row(0);
            }
            var names = FigureStyle.ClassNames(run.Summary.Dataset, student.Classes);
            var plot = FigureStyle.NewPlot();
            var title = $"{run.Summary.MethodLabel} student{(standardized ? ", Z-scored" : "")}: image {sample}, label {names[student.Label(sample)]}";
            Draw(plot, title, names, t, s, $"{run.Summary.MethodLabel} student", FigureStyle.Series(r), standardized ? "Z-scored logit" : "logit");
            panels.Add(plot);
        }
        return new Figure(620, 460, [.. panels]);
    }

    /// <summary>The teacher's and student's files must describe the same test images in the same order.</summary>
    internal static void SameTestSet(RunFolder run, LogitMatrix student, LogitMatrix teacher)
    {
        if (student.Samples != teacher.Samples || student.Classes != teacher.Classes)
            throw new RunFolderException(run.TeacherLogitsFile, null,
                $"{teacher.Samples} × {teacher.Classes} logits, but {run.StudentLogitsFile} has {student.Samples} × {student.Classes}");
        for (int i = 0; i < student.Samples; i++)
            if (student.Label(i) != teacher.Label(i))
                throw new RunFolderException(run.TeacherLogitsFile, i + 2,
                    $"label {teacher.Label(i)}, but {run.StudentLogitsFile} has label {student.Label(i)} for the same image");
    }

    private static double[,] ToMatrix(double[] row)
    {
        var m = new double[1, row.Length];
        for (int k = 0; k < row.Length; k++) m[0, k] = row[k];
        return m;
    }

    private static double SampleStd(double[] row) =>
        LogitStats.PerSample(new LogitMatrix(ToMatrix(row), [0]))[0].Std;
}
