namespace LogitStd.Shell.Data;

/// <summary>
/// The ImageNet transforms: for training <c>RandomResizedCrop(size)</c> (scale 0.08–1, aspect ratio
/// 3/4–4/3, torchvision's ten-tries-then-centre-crop rule) + horizontal flip; for evaluation
/// <c>Resize(resize)</c> of the shorter side + <c>CenterCrop(size)</c>. Both sample the source
/// bilinearly straight into the output, then normalise with the ImageNet mean and std.
/// Departure from torchvision: no antialiasing when shrinking (torchvision's PIL path low-passes
/// first), so strongly reduced crops are slightly sharper.
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
            Sample(image, top, left, h, w, flip, destination);
        }
        else
        {
            // Resize so the shorter side is Resize (torchvision truncates the longer side's length), then
            // take the centre; expressed as a source-space rectangle.
            int ih = image.Height, iw = image.Width;
            int rh = ih <= iw ? Resize : (int)(Resize * (double)ih / iw);
            int rw = iw <= ih ? Resize : (int)(Resize * (double)iw / ih);
            double top = Math.Round((rh - OutputHeight) / 2.0), left = Math.Round((rw - OutputWidth) / 2.0);
            double sy = (double)ih / rh, sx = (double)iw / rw;
            Sample(image, top * sy, left * sx, OutputHeight * sy, OutputWidth * sx, false, destination);
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

    /// <summary>Bilinear sampling of the source rectangle (top, left, h, w) onto the output grid, optionally mirrored, then normalised.</summary>
    void Sample(ImageView image, double top, double left, double h, double w, bool flip, Span<float> destination)
    {
        var src = image.Pixels.Span;
        int ih = image.Height, iw = image.Width, plane = ih * iw;
        int oh = OutputHeight, ow = OutputWidth, oplane = oh * ow;
        double sy = h / oh, sx = w / ow;
        Span<int> x0s = stackalloc int[ow];
        Span<float> fxs = stackalloc float[ow];
        for (int x = 0; x < ow; x++)
        {
            int ox = flip ? ow - 1 - x : x;
            double fx = Math.Clamp(left + (ox + 0.5) * sx - 0.5, 0, iw - 1);
            x0s[x] = Math.Min((int)fx, iw - 2 < 0 ? 0 : iw - 2);
            fxs[x] = (float)(fx - x0s[x]);
        }
        for (int c = 0; c < OutputChannels; c++)
        {
            float mean = normalization.Mean[c], std = normalization.Std[c];
            var p = src.Slice(c * plane, plane);
            for (int y = 0; y < oh; y++)
            {
                double fy = Math.Clamp(top + (y + 0.5) * sy - 0.5, 0, ih - 1);
                int y0 = Math.Min((int)fy, ih - 2 < 0 ? 0 : ih - 2);
                int y1 = Math.Min(y0 + 1, ih - 1);
                float wy = (float)(fy - y0);
                var dst = destination.Slice(c * oplane + y * ow, ow);
                for (int x = 0; x < ow; x++)
                {
                    int x0 = x0s[x], x1 = Math.Min(x0 + 1, iw - 1);
                    float wx = fxs[x];
                    float topV = p[y0 * iw + x0] + wx * (p[y0 * iw + x1] - p[y0 * iw + x0]);
                    float botV = p[y1 * iw + x0] + wx * (p[y1 * iw + x1] - p[y1 * iw + x0]);
                    float v = topV + wy * (botV - topV);
                    dst[x] = (v / 255f - mean) / std;
                }
            }
        }
    }
}
