namespace LogitStd.Shell.Data;

/// <summary>
/// The CIFAR recipe and its Fashion-MNIST variant: <c>RandomCrop(size, padding)</c> with zero
/// padding, <c>RandomHorizontalFlip(p)</c>, then <c>/255</c> and normalisation. With padding 0 and
/// flip probability 0 it is the deterministic test transform. Output size equals input size.
/// Its views are numbered <c>(dy · (2·padding + 1) + dx) · flips + flip</c>, where <c>flips</c> is 2 when
/// it may flip and 1 otherwise.
/// </summary>
public sealed class CropFlipTransform : IViewTransform
{
    readonly Normalization normalization;

    /// <summary>Creates the transform for images of <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>.</summary>
    public CropFlipTransform(int channels, int height, int width, int padding, double flipProbability, Normalization normalization)
    {
        if (normalization.Channels != channels) throw new ArgumentException($"normalisation has {normalization.Channels} channels, images have {channels}");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding));
        OutputChannels = channels;
        OutputHeight = height;
        OutputWidth = width;
        Padding = padding;
        FlipProbability = flipProbability;
        this.normalization = normalization;
    }

    /// <inheritdoc/>
    public int OutputChannels { get; }

    /// <inheritdoc/>
    public int OutputHeight { get; }

    /// <inheritdoc/>
    public int OutputWidth { get; }

    /// <summary>Zero padding on each side before the random crop (0: no crop).</summary>
    public int Padding { get; }

    /// <summary>Probability of a horizontal flip.</summary>
    public double FlipProbability { get; }

    /// <summary>Crop offsets per axis (<c>2·padding + 1</c>) times flip states (2, or 1 when it never flips).</summary>
    public int ViewCount => (2 * Padding + 1) * (2 * Padding + 1) * (FlipProbability > 0 ? 2 : 1);

    /// <inheritdoc/>
    public string Description => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"crop-flip {OutputChannels}x{OutputHeight}x{OutputWidth} padding {Padding} flip {FlipProbability:R} mean [{string.Join(", ", normalization.Mean.Select(m => m.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}] std [{string.Join(", ", normalization.Std.Select(m => m.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]");

    /// <summary>The view number of a draw.</summary>
    public int ViewOf(int dy, int dx, bool flip) => (dy * (2 * Padding + 1) + dx) * (FlipProbability > 0 ? 2 : 1) + (flip ? 1 : 0);

    /// <summary>The draw of a view number (the inverse of <see cref="ViewOf"/>).</summary>
    public (int Dy, int Dx, bool Flip) DrawOf(int view)
    {
        if ((uint)view >= (uint)ViewCount) throw new ArgumentOutOfRangeException(nameof(view), view, $"views are 0..{ViewCount - 1}");
        int flips = FlipProbability > 0 ? 2 : 1, side = 2 * Padding + 1;
        int offset = view / flips;
        return (offset / side, offset % side, view % flips == 1);
    }

    /// <summary>Draws a crop offset in <c>[0, 2·padding]</c> per axis and the flip, in that order.</summary>
    public static (int Dy, int Dx, bool Flip) Draw(ref SampleRandom random, int padding, double flipProbability)
    {
        int dy = padding > 0 ? random.Next(2 * padding + 1) : 0;
        int dx = padding > 0 ? random.Next(2 * padding + 1) : 0;
        bool flip = flipProbability > 0 && random.Chance(flipProbability);
        return (dy, dx, flip);
    }

    /// <summary>
    /// Writes the crop at (dy, dx) of the zero-padded image, flipped if asked, as bytes (the strong
    /// view keeps working on bytes before RandAugment).
    /// </summary>
    public static void CropFlip(ImageView image, int padding, int dy, int dx, bool flip, Span<byte> destination)
    {
        var src = image.Pixels.Span;
        int h = image.Height, w = image.Width, plane = h * w;
        for (int c = 0; c < image.Channels; c++)
            for (int y = 0; y < h; y++)
            {
                int sy = y + dy - padding;
                var row = destination.Slice(c * plane + y * w, w);
                if (sy < 0 || sy >= h) { row.Clear(); continue; }
                var srcRow = src.Slice(c * plane + sy * w, w);
                for (int x = 0; x < w; x++)
                {
                    int sx = (flip ? w - 1 - x : x) + dx - padding;
                    row[x] = (uint)sx < (uint)w ? srcRow[sx] : (byte)0;
                }
            }
    }

    /// <inheritdoc/>
    public void Apply(ImageView image, Span<float> destination, ref SampleRandom random) => ApplyView(image, destination, ref random);

    /// <inheritdoc/>
    public int ApplyView(ImageView image, Span<float> destination, ref SampleRandom random)
    {
        var (dy, dx, flip) = Draw(ref random, Padding, FlipProbability);
        Write(image, dy, dx, flip, destination);
        return ViewOf(dy, dx, flip);
    }

    /// <inheritdoc/>
    public void Render(ImageView image, int view, Span<float> destination)
    {
        var (dy, dx, flip) = DrawOf(view);
        Write(image, dy, dx, flip, destination);
    }

    void Write(ImageView image, int dy, int dx, bool flip, Span<float> destination)
    {
        if (image.Channels != OutputChannels || image.Height != OutputHeight || image.Width != OutputWidth)
            throw new ArgumentException($"image is {image.Channels}×{image.Height}×{image.Width}, transform expects {OutputChannels}×{OutputHeight}×{OutputWidth}");
        var src = image.Pixels.Span;
        int h = OutputHeight, w = OutputWidth, plane = h * w;
        // Fused crop + flip + normalise straight to floats: the weak view is the hot path of every
        // training epoch, so it skips the intermediate byte image the strong view needs.
        for (int c = 0; c < OutputChannels; c++)
        {
            var lut = normalization.Table(c);
            float zero = lut[0];
            for (int y = 0; y < h; y++)
            {
                int sy = y + dy - Padding;
                var row = destination.Slice(c * plane + y * w, w);
                if (sy < 0 || sy >= h) { row.Fill(zero); continue; }
                var srcRow = src.Slice(c * plane + sy * w, w);
                for (int x = 0; x < w; x++)
                {
                    int sx = (flip ? w - 1 - x : x) + dx - Padding;
                    row[x] = (uint)sx < (uint)w ? lut[srcRow[sx]] : zero;
                }
            }
        }
    }
}
