using System.Globalization;
using LogitStd.Shell.Models;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd models [--classes K]</c>: every model of the zoo with its parameter count at K classes
/// and, where the model's own dataset has another class count (ImageNet 1000, Fashion-MNIST 10), also
/// at that count, which is the one PAPER.md §5 reports.
/// </summary>
public static class ModelsCommand
{
    /// <summary>Prints the table to <paramref name="stdout"/>; returns the process exit code.</summary>
    public static int Run(int classes, TextWriter stdout, TextWriter stderr)
    {
        var rows = new List<string[]>
        {
            new[] { "model", "dataset", "input", "feature", $"params @{classes}", "params @native" },
        };
        foreach (var entry in ModelZoo.Entries)
        {
            using var model = ModelZoo.Create(entry.Name, classes);
            var info = model.Info;
            var native = entry.NativeClasses == classes
                ? ""
                : $"{Count(NativeCount(entry))} @{entry.NativeClasses}";
            rows.Add(
            [
                info.Name, Core.Experiments.DatasetName(info.Dataset), string.Join("x", info.InputShape), info.FeatureDim.ToString(CultureInfo.InvariantCulture),
                Count(model.ParameterCount), native,
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            // Names left-aligned, numbers right-aligned, so the counts line up digit by digit.
            var cells = row.Select((cell, c) => c >= 3 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            stdout.WriteLine(string.Join("  ", cells).TrimEnd());
            if (i == 0) stdout.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return 0;
    }

    private static long NativeCount(ZooEntry entry)
    {
        using var model = ModelZoo.Create(entry.Name, entry.NativeClasses);
        return model.ParameterCount;
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
