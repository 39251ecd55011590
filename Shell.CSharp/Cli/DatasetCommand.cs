using System.Globalization;
using LogitStd.Core;
using LogitStd.Shell.Data;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd dataset check --dataset KIND [--data-dir DIR]</c>: reads and validates every split
/// (image folders: decodes every image), then prints the splits, counts, image shape and per-class
/// histogram. Returns 0 when the data is sound; damaged data throws <see cref="DatasetException"/> (exit 1).
/// </summary>
public static class DatasetCommand
{
    /// <summary>Runs the check; returns 0 or throws.</summary>
    public static int Check(Core.Domain.DatasetKind dataset, string? dataDir, TextWriter stdout, TextWriter stderr)
    {
        IReadOnlyList<ImageDataset> splits;
        var shapes = new List<string>();
        // Damaged data is a DatasetException naming the file (exit 1, ExitCodes).
        splits = DatasetCatalog.OpenForCheck(dataset, dataDir);
        foreach (var split in splits)
            shapes.Add(split is ImageFolderDataset folder ? FolderShape(folder) : $"{split.Channels}×{split.Height}×{split.Width} uint8");
        Print(splits, shapes, stdout);
        return 0;
    }

    static string FolderShape(ImageFolderDataset folder)
    {
        var (minH, minW, maxH, maxW) = folder.ValidateAll();
        var skipped = folder.SkippedFiles > 0 ? $"; {folder.SkippedFiles:N0} non-image files ignored" : "";
        return minH == maxH && minW == maxW
            ? $"3×{minH}×{minW} uint8 (decoded){skipped}"
            : $"3×H×W uint8, H {minH}–{maxH}, W {minW}–{maxW} (decoded){skipped}";
    }

    static void Print(IReadOnlyList<ImageDataset> splits, IReadOnlyList<string> shapes, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        var first = splits[0];
        o.WriteLine($"dataset {first.Name}: {first.Classes} classes");
        o.WriteLine($"  {"split",-8} {"images",10}  image shape");
        for (int s = 0; s < splits.Count; s++)
            o.WriteLine(string.Format(inv, "  {0,-8} {1,10:N0}  {2}  from {3}", splits[s].Split, splits[s].Count, shapes[s], splits[s].Source));
        o.WriteLine("  per-class counts:");
        int nameWidth = Math.Min(24, Math.Max(5, first.ClassNames.Max(n => n.Length)));
        var header = string.Format(inv, "  {0,5}  {1}", "label", "class".PadRight(nameWidth));
        foreach (var split in splits) header += string.Format(inv, " {0,10}", split.Split);
        o.WriteLine(header);
        for (int k = 0; k < first.Classes; k++)
        {
            var name = first.ClassNames[k];
            if (name.Length > nameWidth) name = name[..nameWidth];
            var line = string.Format(inv, "  {0,5}  {1}", k, name.PadRight(nameWidth));
            foreach (var split in splits) line += string.Format(inv, " {0,10:N0}", split.ClassCounts[k]);
            o.WriteLine(line);
        }
        o.WriteLine(string.Format(inv, "ok: {0:N0} images in {1} split(s) checked", splits.Sum(s => s.Count), splits.Count));
    }
}
