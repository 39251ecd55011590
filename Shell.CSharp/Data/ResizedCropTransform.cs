namespace LogitStd.Shell.Data;

/// <summary>
/// The ImageNet transforms as torchvision computes them on PIL images: for training
/// <c>RandomResizedCrop(size)</c> (scale 0.08–1, aspect ratio 3/4–4/3, torchvision's
/// ten-tries-then-centre-crop rule) + horizontal flip; for evaluation <c>Resize(resize)</c> of the
/// shorter side + <c>CenterCrop(size)</c>. Resizing is Pillow's antialiased bilinear filter with 8-bit
/// rounding (<see cref="PilResize"/>), then the ImageNet mean and std. Compared with torchvision 0.14 +
/// Pillow on PNG and JPEG files in tests/Data.Tests (docs/imagenet.md).
/// </summary>
public sealed class ResizedCropTransform : IImageTransform
{
    readonly Normalization normalization;

    ResizedCropTransform(bool train, int size, int resize, Normalization normalization)
    {
        Train = train;
        OutputChannels = normalization.Channels;
        OutputHeight = size;
        OutputWidth = size;
        Resize = resize;
        this.normalization = normalization;
    }

    /// <summary>RandomResizedCrop(size) + flip p = 0.5.</summary>
    public static ResizedCropTransform Training(int size, Normalization normalization) => new(true, size, 0, normalization);

    /// <summary>Resize(resize) + CenterCrop(size).</summary>
    public static ResizedCropTransform Evaluation(int resize, int size, Normalization normalization) => new(false, size, resize, normalization);

    /// <summary>True for the random training crop, false for the evaluation centre crop.</summary>
    public bool Train { get; }

    /// <summary>Shorter-side length before the centre crop (evaluation only).</summary>
    public int Resize { get; }

    /// <inheritdoc/>
    public int OutputChannels { get; }

    /// <inheritdoc/>
    public int OutputHeight { get; }

    /// <inheritdoc/>
    public int OutputWidth { get; }

    /// <inheritdoc/>
    public void Apply(ImageView image, Span<float> destination, ref SampleRandom random)
    {
        if (image.Channels != OutputChannels)
            throw new ArgumentException($"image has {image.Channels} channels, transform expects {OutputChannels}");
        if (Train)
        {
            var (top, left, h, w) = DrawCrop(image.Height, image.Width, ref random);
            bool flip = random.Chance(0.5);
            CropResize(image, top, left, h, w, flip, destination);
        }
        else
        {
            // torchvision's Resize(int): the shorter side becomes Resize, the longer int(Resize · long / short).
            int ih = image.Height, iw = image.Width;
            int rh = ih <= iw ? Resize : (int)(Resize * (double)ih / iw);
            int rw = iw <= ih ? Resize : (int)(Resize * (double)iw / ih);
            var resized = PilResize.Resize(image.Pixels.Span, image.Channels, ih, iw, rh, rw);
            // CenterCrop: Python's round (half to even), as .NET's Math.Round.
            int top = (int)Math.Round((rh - OutputHeight) / 2.0), left = (int)Math.Round((rw - OutputWidth) / 2.0);
            Normalise(resized, rh, rw, top, left, false, destination);
        }
    }

    /// <summary>
    /// torchvision's <c>resized_crop</c> on a PIL image — the crop (top, left, h, w) in source pixels,
    /// resized to the output size by <see cref="PilResize"/> — then mirrored when <paramref name="flip"/>,
    /// normalised into <paramref name="destination"/>.
    /// </summary>
    public void CropResize(ImageView image, int top, int left, int h, int w, bool flip, Span<float> destination)
    {
        var src = image.Pixels.Span;
        int ih = image.Height, iw = image.Width, channels = image.Channels;
        if (top < 0 || left < 0 || h < 1 || w < 1 || top + h > ih || left + w > iw)
            throw new ArgumentOutOfRangeException(nameof(top), $"crop ({top}, {left}, {h}, {w}) outside a {ih}×{iw} image");
        var crop = new byte[channels * h * w];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < h; y++)
                src.Slice(c * ih * iw + (top + y) * iw + left, w).CopyTo(crop.AsSpan(c * h * w + y * w, w));
        var resized = PilResize.Resize(crop, channels, h, w, OutputHeight, OutputWidth);
        Normalise(resized, OutputHeight, OutputWidth, 0, 0, flip, destination);
    }

    /// <summary>The output-sized window at (top, left) of an 8-bit CHW image, optionally mirrored, as (v / 255 − mean) / std.</summary>
    void Normalise(byte[] pixels, int height, int width, int top, int left, bool flip, Span<float> destination)
    {
        int oh = OutputHeight, ow = OutputWidth;
        for (int c = 0; c < OutputChannels; c++)
        {
            float mean = normalization.Mean[c], std = normalization.Std[c];
            for (int y = 0; y < oh; y++)
            {
                var row = pixels.AsSpan(c * height * width + (top + y) * width + left, ow);
                var dst = destination.Slice(c * oh * ow + y * ow, ow);
                for (int x = 0; x < ow; x++) dst[x] = (row[flip ? ow - 1 - x : x] / 255f - mean) / std;
            }
        }
    }

    /// <summary>torchvision's <c>RandomResizedCrop.get_params</c>: returns top, left, height, width in source pixels.</summary>
    public static (int Top, int Left, int Height, int Width) DrawCrop(int height, int width, ref SampleRandom random,
        double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        double area = (double)height * width;
        double logMin = Math.Log(minRatio), logMax = Math.Log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (minScale + (maxScale - minScale) * random.NextDouble());
            double ratio = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
                return (random.NextInclusive(0, height - h), random.NextInclusive(0, width - w), h, w);
        }
        // Fallback: the largest centred crop whose aspect ratio is within bounds.
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < minRatio) { cw = width; ch = (int)Math.Round(cw / minRatio); }
        else if (inRatio > maxRatio) { ch = height; cw = (int)Math.Round(ch * maxRatio); }
        else { cw = width; ch = height; }
        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }
}
