using ScottPlot;
using SkiaSharp;

namespace LogitStd.Shell.Plots;

/// <summary>A finished figure: one or more panels side by side, and its size in pixels. Saving is
/// done here and only here, so every recipe gets PNG and SVG the same way.</summary>
public sealed class Figure : IDisposable
{
    /// <summary>Panels laid out left to right, each <paramref name="panelWidth"/> × <paramref name="height"/> pixels.</summary>
    public Figure(int panelWidth, int height, params Plot[] panels)
    {
        if (panels.Length == 0) throw new ArgumentException("a figure needs at least one panel", nameof(panels));
        ArgumentOutOfRangeException.ThrowIfLessThan(panelWidth, 50);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 50);
        Panels = panels;
        PanelWidth = panelWidth;
        Height = height;
    }

    /// <summary>The panels, left to right.</summary>
    public IReadOnlyList<Plot> Panels { get; }

    /// <summary>Width of one panel in pixels.</summary>
    public int PanelWidth { get; }

    /// <summary>Width of the whole image in pixels.</summary>
    public int Width => PanelWidth * Panels.Count;

    /// <summary>Height of the image in pixels.</summary>
    public int Height { get; }

    /// <summary>Whether <paramref name="path"/> names a format <see cref="Save"/> writes (.png or .svg).</summary>
    public static bool IsSupported(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".png" or ".svg";

    /// <summary>Writes the figure to <paramref name="path"/>: SVG when it ends in <c>.svg</c>, PNG when
    /// in <c>.png</c>. The folder is created if needed.</summary>
    public void Save(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".png" or ".svg")) throw new UsageException($"{path}: the figure must be a .png or .svg file");
        // ScottPlot's Multiplot lays the panels out in columns; one panel is just a one-column layout.
        var multiplot = new Multiplot(Panels[0]) { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        foreach (var p in Panels.Skip(1)) multiplot.AddPlot(p);

        // Rendered onto a Skia canvas and written through the one atomic writer: a full disk or a kill
        // never leaves a truncated image. Multiplot has no SaveSvg; Skia's SVG canvas records the same
        // drawing calls as vectors.
        Persistence.Atomic.Write(path, stream =>
        {
            if (ext == ".png")
            {
                using var surface = SKSurface.Create(new SKImageInfo(Width, Height))
                    ?? throw new InvalidOperationException($"Skia could not create a {Width}×{Height} surface");
                surface.Canvas.Clear(SKColors.White);
                multiplot.Render(surface.Canvas, new PixelRect(0, Width, Height, 0));
                using var image = surface.Snapshot();
                using var png = image.Encode(SKEncodedImageFormat.Png, 100);
                png.SaveTo(stream);
                return;
            }
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), stream);
            using (SolidLines())
                multiplot.Render(canvas, new PixelRect(0, Width, Height, 0));
        });
    }

    /// <summary>Draws every line solid until disposed. Skia's SVG canvas writes no dash patterns: it would
    /// draw them solid anyway, printing "Unsupported path effect" once per line. So an SVG's lines are
    /// solid on purpose (the markers still tell the series apart) and the PNG keeps the patterns.</summary>
    private IDisposable SolidLines()
    {
        var lines = Panels.SelectMany(p => p.GetPlottables()).OfType<IHasLine>()
            .Select(h => h.LineStyle).Where(l => !l.Pattern.Equals(LinePattern.Solid)).Select(l => (l, l.Pattern)).ToList();
        var legends = Panels.SelectMany(p => p.Legend.ManualItems)
            .Where(i => !i.LinePattern.Equals(LinePattern.Solid)).Select(i => (i, i.LinePattern)).ToList();
        foreach (var (l, _) in lines) l.Pattern = LinePattern.Solid;
        foreach (var (i, _) in legends) i.LinePattern = LinePattern.Solid;
        return new Restore(() =>
        {
            foreach (var (l, pattern) in lines) l.Pattern = pattern;
            foreach (var (i, pattern) in legends) i.LinePattern = pattern;
        });
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>Disposes the panels.</summary>
    public void Dispose()
    {
        foreach (var p in Panels) p.Dispose();
    }
}
