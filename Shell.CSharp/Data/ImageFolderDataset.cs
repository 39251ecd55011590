using SkiaSharp;

namespace LogitStd.Shell.Data;

/// <summary>
/// An ImageNet-style folder: one subfolder per class (sorted by ordinal name, as torchvision's
/// ImageFolder sorts them), JPEG or PNG files inside. Opening lists the files; images are decoded
/// on demand to RGB uint8 CHW, because ImageNet decoded to bytes (~140 GB) does not fit in memory.
/// <see cref="ValidateAll"/> decodes every file once, which <c>logitstd dataset check</c> does.
/// </summary>
public sealed class ImageFolderDataset : ImageDataset
{
    /// <summary>The largest image decoded (8192 × 8192): a header claiming more is refused before any buffer is sized from it.</summary>
    public const long MaxPixels = 1L << 26;

    /// <summary>File extensions read as images (case-insensitive).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png"];

    readonly string[] files;
    readonly int[] labels;
    readonly string[] classNames;

    ImageFolderDataset(string split, string root, string[] files, int[] labels, string[] classNames, int skipped)
    {
        Split = split;
        Source = root;
        this.files = files;
        this.labels = labels;
        this.classNames = classNames;
        SkippedFiles = skipped;
    }

    /// <inheritdoc/>
    public override string Name => "imagefolder";

    /// <inheritdoc/>
    public override string Split { get; }

    /// <inheritdoc/>
    public override string Source { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames => classNames;

    /// <inheritdoc/>
    public override IReadOnlyList<int> Labels => labels;

    /// <summary>Always 3: grey and palette images are expanded to RGB, alpha is dropped.</summary>
    public override int Channels => 3;

    /// <summary>Always <c>null</c>: the images keep their own sizes until a transform resizes them.</summary>
    public override int? Height => null;

    /// <summary>Always <c>null</c>: the images keep their own sizes until a transform resizes them.</summary>
    public override int? Width => null;

    /// <summary>Image paths in dataset order.</summary>
    public IReadOnlyList<string> Files => files;

    /// <summary>Files in class folders that are not JPEG or PNG by extension, and so were left out.</summary>
    public int SkippedFiles { get; }

    /// <summary>
    /// Lists one split. <paramref name="classNames"/> fixes the label order (pass the training
    /// split's classes when opening the validation split); by default the sorted subfolders are the classes.
    /// </summary>
    public static ImageFolderDataset Open(string root, string split, IReadOnlyList<string>? classNames = null)
    {
        if (!Directory.Exists(root)) throw new DatasetException($"{root}: missing folder");
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (folders.Length == 0) throw new DatasetException($"{root}: no class subfolders (expected one folder per class holding JPEG/PNG files)");
        var names = classNames?.ToArray() ?? folders;
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        var files = new List<string>();
        var labels = new List<int>();
        int skipped = 0;
        foreach (var folder in folders)
        {
            if (!index.TryGetValue(folder, out int label))
                throw new DatasetException($"{Path.Combine(root, folder)}: class folder not among the {names.Length} training classes");
            int before = files.Count;
            foreach (var file in Directory.GetFiles(Path.Combine(root, folder)).OrderBy(f => f, StringComparer.Ordinal))
            {
                if (Path.GetFileName(file).StartsWith('.')) continue;
                if (!Extensions.Contains(Path.GetExtension(file).ToLowerInvariant())) { skipped++; continue; }
                // A FIFO would block the first read for ever, a device never end: refused when listed, not when read.
                if (SafeIO.FileKinds.Of(file, followLinks: true).Kind != SafeIO.FileKind.Regular)
                    throw new DatasetException($"{file}: not a regular file (a FIFO, a device, or a link to one), so not an image");
                files.Add(file);
                labels.Add(label);
            }
            if (files.Count == before) throw new DatasetException($"{Path.Combine(root, folder)}: class folder holds no JPEG or PNG files");
        }
        return new ImageFolderDataset(split, Path.GetFullPath(root), files.ToArray(), labels.ToArray(), names, skipped);
    }

    /// <inheritdoc/>
    public override ImageView GetImage(int index) => Decode(files[index]);

    /// <summary>
    /// Decodes every image once, so a corrupt file fails the check rather than a training run hours
    /// later; returns the smallest and largest image sizes seen.
    /// </summary>
    public (int MinHeight, int MinWidth, int MaxHeight, int MaxWidth) ValidateAll()
    {
        int minH = int.MaxValue, minW = int.MaxValue, maxH = 0, maxW = 0;
        foreach (var file in files)
        {
            var image = Decode(file);
            minH = Math.Min(minH, image.Height); minW = Math.Min(minW, image.Width);
            maxH = Math.Max(maxH, image.Height); maxW = Math.Max(maxW, image.Width);
        }
        return (minH, minW, maxH, maxW);
    }

    /// <summary>Reads an image file and opens its codec, with the header's size checked before it sizes
    /// any decode buffer; the caller disposes both. Every problem is a <see cref="DatasetException"/> naming the file.</summary>
    /// <summary>A JPEG or PNG of <see cref="MaxPixels"/> pixels is far below this; a larger file is not an image to read whole.</summary>
    const long MaxFileBytes = 512L << 20;

    internal static (SKData Data, SKCodec Codec) OpenCodec(string path)
    {
        byte[] encoded;
        try { encoded = SafeIO.BoundedRead.Bytes(path, MaxFileBytes, "image file"); }
        catch (SafeIO.UnsafeFileException e) { throw new DatasetException(e.Message, e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path}: cannot read: {e.Message}", e);
        }
        var data = SKData.CreateCopy(encoded);
        var codec = SKCodec.Create(data);
        string? problem = codec is null ? $"corrupt image: not a decodable JPEG or PNG ({encoded.Length:N0} bytes)"
            : codec.Info.Width <= 0 || codec.Info.Height <= 0 ? $"corrupt image: size {codec.Info.Width}×{codec.Info.Height}"
            : (long)codec.Info.Width * codec.Info.Height > MaxPixels ? $"image of {codec.Info.Width:N0}×{codec.Info.Height:N0} pixels, more than the {MaxPixels:N0} this reader decodes"
            : null;
        if (problem is null) return (data, codec!);
        codec?.Dispose();
        data.Dispose();
        throw new DatasetException($"{path}: {problem}");
    }

    /// <summary>Decodes one file to RGB CHW bytes; a file that is not a complete image is a <see cref="DatasetException"/>.</summary>
    public static ImageView Decode(string path)
    {
        var (data, codec) = OpenCodec(path);
        using var _ = data;
        using var __ = codec;
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var result = codec.GetPixels(info, out byte[] rgba);
        // IncompleteInput means a truncated file whose missing rows the codec filled in: strictness
        // says reject it rather than train on a half-grey image.
        if (result != SKCodecResult.Success)
            throw new DatasetException($"{path}: corrupt image: decoding stopped with {result}");
        int h = info.Height, w = info.Width, plane = h * w;
        var chw = new byte[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            chw[i] = rgba[4 * i];
            chw[plane + i] = rgba[4 * i + 1];
            chw[2 * plane + i] = rgba[4 * i + 2];
        }
        return new ImageView(chw, 3, h, w);
    }
}
