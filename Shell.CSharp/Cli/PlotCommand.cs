using System.Globalization;
using LogitStd.Shell.Plots;

using LogitStd.Shell.Runs;

namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd plot KIND [--runs DIR...] --out FILE(.png|.svg) [--sample N] [--standardized]</c>:
/// draws one figure from saved run folders (never retrains). Exit 0 when written, 2 on a missing or
/// malformed input (the message names the file) or a bad option.</summary>
public static class PlotCommand
{
    /// <summary>Runs the command; messages go to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    public static int Run(Core.Cli.PlotOptions options, TextWriter stdout, TextWriter stderr)
    {
        if (!Figure.IsSupported(options.Out))
        {
            stderr.WriteLine($"error: --out {options.Out}: the figure must be a .png or .svg file");
            return 2;
        }
        var kind = options.Kind;
        var runDirs = options.Runs.ToList();
        if (kind.IsToy && runDirs.Count > 0)
            stderr.WriteLine("note: the toy figure is computed by the core; --runs is not used");
        else if (!kind.IsToy && runDirs.Count == 0)
        {
            stderr.WriteLine($"error: plot {Name(kind)} needs --runs DIR... (run folders written by train/distill)");
            return 2;
        }
        if (options.Standardized && (kind.IsToy || kind.IsCurves || kind.IsResults))
            stderr.WriteLine($"note: --standardized does not apply to plot {Name(kind)}; ignored");
        try
        {
            var runs = runDirs.Select(RunFolder.Open).ToList();
            using var figure = Make(kind, runs, options, stdout);
            figure.Save(options.Out);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {options.Out} ({figure.Width} × {figure.Height}, {figure.Panels.Count} panel{(figure.Panels.Count == 1 ? "" : "s")})"));
            return 0;
        }
        catch (RunFolderException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (IOException e)
        {
            stderr.WriteLine($"error: cannot write {options.Out}: {e.Message}");
            return 2;
        }
    }

    private static Figure Make(Core.Cli.PlotKind kind, IReadOnlyList<RunFolder> runs, Core.Cli.PlotOptions o, TextWriter stdout)
    {
        if (kind.IsToy)
        {
            var toy = ToyCase.Compute();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"toy case (T = 1): raw KD S1 {toy.RawKd[0]:F4}, S2 {toy.RawKd[1]:F4}; standardized KD S1 {toy.StandardizedKd[0]:F4}, S2 {toy.StandardizedKd[1]:F4}"));
            return ToyCaseFigure.Make(toy);
        }
        if (kind.IsLogit_Bars) return LogitBarsFigure.Make(runs, o.Sample, o.Standardized);
        if (kind.IsHeatmap) return ClassMeanGapFigure.Make(runs, o.Standardized);
        if (kind.IsStats) return MeanStdHistogramFigure.Make(runs, o.Standardized);
        if (kind.IsRanges) return RangeDistributionFigure.Make(runs, o.Standardized);
        if (kind.IsCurves) return TrainingCurvesFigure.Make(runs);
        if (kind.IsResults)
        {
            foreach (var r in runs.Where(r => !r.Summary.Finished))
                stdout.WriteLine($"note: {r.Path} has not finished; left out of the results");
            return ResultsFigure.Make(runs);
        }
        throw new InvalidOperationException($"unhandled plot kind {kind}");
    }

    private static string Name(Core.Cli.PlotKind kind) => kind.ToString().ToLowerInvariant().Replace('_', '-');
}
