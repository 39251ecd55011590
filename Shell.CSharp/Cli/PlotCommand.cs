using System.Globalization;
using LogitStd.Shell.Plots;
using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd plot KIND [--runs DIR...] --out FILE(.png|.svg) [--sample N] [--standardized] [--student NAME] [--teacher RUN]</c>:
/// draws one figure from saved run folders (never retrains). Returns 0 when written, else throws
/// (<see cref="ExitCodes"/>): 1 on a missing or malformed run-folder file, runs that give nothing to draw,
/// or a failed write (the message names the file or folder), 2 on a bad option (a <c>--student</c> that
/// is none of the runs' students included). An <see cref="ArgumentException"/> is a defect (70).</summary>
public static class PlotCommand
{
    /// <summary>Runs the command; messages go to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    public static int Run(Core.PlotCli.PlotOptions options, TextWriter stdout, TextWriter stderr)
    {
        var (errors, notes) = Core.PlotCli.check(options);
        foreach (var n in notes) stderr.WriteLine($"note: {n}");
        if (!errors.IsEmpty) throw new UsageException(errors.ToList());
        var kind = options.Kind;
        var runDirs = options.Runs.ToList();
        {
            // The forest plot reads a whole study (folders holding run folders); the others, run folders.
            var runs = kind.IsForest ? [] : runDirs.Select(RunFolder.Open).ToList();
            if (kind.IsTsne) return Tsne(options, runs, stdout);
            using var figure = kind.IsForest ? ForestFigure.Make(runDirs, options.Student.ToNullable()) : Make(kind, runs, options, stdout, stderr);
            figure.Save(options.Out);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {options.Out} ({figure.Width} × {figure.Height}, {figure.Panels.Count} panel{(figure.Panels.Count == 1 ? "" : "s")})"));
            return 0;
        }
    }

    /// <summary>Figure 4: embeds every panel (minutes for 10,000 images), then writes the figure and
    /// each panel's <c>index,label,x,y</c> CSV beside it.</summary>
    private static int Tsne(Core.PlotCli.PlotOptions o, IReadOnlyList<RunFolder> runs, TextWriter stdout)
    {
        var teacher = o.Teacher.ToNullable() is { } t ? RunFolder.Open(t) : null;
        if (teacher is null && !runs.Any(r => File.Exists(Path.Combine(r.Path, RunFiles.TestFeatures("teacher")))))
            stdout.WriteLine("note: no --teacher run and the first run saved no teacher features: no teacher panel");
        var panels = TsneFigure.Embed(runs, teacher, o.Sample.ToNullable(), Embedding.TsneSettings.Default, line => stdout.WriteLine(line));
        var first = (teacher ?? runs[0]).Summary;
        using var figure = TsneFigure.Make(panels, FigureStyle.ClassNames(first.Dataset, first.Classes));
        figure.Save(o.Out);
        foreach (var csv in TsneFigure.WriteCsv(o.Out, panels)) stdout.WriteLine($"wrote {csv}");
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {o.Out} ({figure.Width} × {figure.Height}, {panels.Count} panels)"));
        return 0;
    }

    private static Figure Make(Core.PlotCli.PlotKind kind, IReadOnlyList<RunFolder> runs, Core.PlotCli.PlotOptions o, TextWriter stdout, TextWriter stderr)
    {
        if (kind.IsToy)
        {
            var toy = ToyCase.Compute();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"toy case (T = 1): raw KD S1 {toy.RawKd[0]:F4}, S2 {toy.RawKd[1]:F4}; standardized KD S1 {toy.StandardizedKd[0]:F4}, S2 {toy.StandardizedKd[1]:F4}"));
            return ToyCaseFigure.Make(toy);
        }
        if (kind.IsLogit_Bars) return LogitBarsFigure.Make(runs, o.Sample.ToNullable() ?? 0, o.Standardized);
        if (kind.IsHeatmap) return ClassMeanGapFigure.Make(runs, o.Standardized);
        if (kind.IsStats) return MeanStdHistogramFigure.Make(runs, o.Standardized);
        if (kind.IsRanges) return RangeDistributionFigure.Make(runs, o.Standardized);
        if (kind.IsCurves) return TrainingCurvesFigure.Make(runs);
        if (kind.IsLevels) return LevelsFigure.Make(runs, n => stderr.WriteLine($"note: {n}"));
        if (kind.IsResults)
        {
            foreach (var r in runs.Where(r => !r.Summary.Finished))
                stdout.WriteLine($"note: {r.Path} has not finished; left out of the results");
            return ResultsFigure.Make(runs);
        }
        throw new InvalidOperationException($"unhandled plot kind {kind}");
    }

    private static string Name(Core.PlotCli.PlotKind kind) => Core.PlotCli.kindName(kind);
}
