namespace LogitStd.Shell.Data;

/// <summary>
/// In-place pixel operations on a uint8 CHW image, written after the PIL operations that FixMatch's
/// RandAugment list uses (<c>ImageOps</c>, <c>ImageEnhance</c>, affine <c>transform</c> with nearest
/// sampling and black fill). They follow PIL's definitions, not its exact integer rounding, so
/// values can differ from PIL's by one grey level.
/// </summary>
public static class ImageOps
{
    /// <summary>Stretches each channel so its darkest value becomes 0 and its brightest 255.</summary>
    public static void AutoContrast(Span<byte> img, int channels)
    {
        int plane = img.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            var p = img.Slice(c * plane, plane);
            byte lo = 255, hi = 0;
            foreach (var v in p) { if (v < lo) lo = v; if (v > hi) hi = v; }
            if (hi <= lo) continue;
            float scale = 255f / (hi - lo);
            for (int i = 0; i < p.Length; i++) p[i] = Clip((p[i] - lo) * scale);
        }
    }

    /// <summary>Histogram equalisation per channel (PIL's <c>ImageOps.equalize</c> lookup).</summary>
    public static void Equalize(Span<byte> img, int channels)
    {
        int plane = img.Length / channels;
        Span<int> hist = stackalloc int[256];
        Span<byte> lut = stackalloc byte[256];
        for (int c = 0; c < channels; c++)
        {
            var p = img.Slice(c * plane, plane);
            hist.Clear();
            foreach (var v in p) hist[v]++;
            int last = 255;
            while (last > 0 && hist[last] == 0) last--;
            int step = (plane - hist[last]) / 255;
            if (step == 0) continue; // one grey level (or nearly): PIL leaves the channel unchanged
            int n = step / 2;
            for (int i = 0; i < 256; i++)
            {
                lut[i] = (byte)Math.Min(255, n / step);
                n += hist[i];
            }
            for (int i = 0; i < p.Length; i++) p[i] = lut[p[i]];
        }
    }

    /// <summary>Keeps the top <paramref name="bits"/> bits of every value.</summary>
    public static void Posterize(Span<byte> img, int bits)
    {
        byte mask = (byte)(0xFF << (8 - Math.Clamp(bits, 0, 8)));
        for (int i = 0; i < img.Length; i++) img[i] &= mask;
    }

    /// <summary>Inverts every value at or above <paramref name="threshold"/>.</summary>
    public static void Solarize(Span<byte> img, int threshold)
    {
        for (int i = 0; i < img.Length; i++) if (img[i] >= threshold) img[i] = (byte)(255 - img[i]);
    }

    /// <summary>Blends towards black: <c>v · factor</c> (<c>ImageEnhance.Brightness</c>).</summary>
    public static void Brightness(Span<byte> img, float factor)
    {
        for (int i = 0; i < img.Length; i++) img[i] = Clip(img[i] * factor);
    }

    /// <summary>Blends each pixel with its grey (ITU-R 601-2 luma) value (<c>ImageEnhance.Color</c>); grey images are unchanged.</summary>
    public static void Color(Span<byte> img, int channels, float factor)
    {
        if (channels != 3) return;
        int plane = img.Length / 3;
        for (int i = 0; i < plane; i++)
        {
            float l = Luma(img[i], img[plane + i], img[2 * plane + i]);
            for (int c = 0; c < 3; c++)
            {
                ref byte v = ref img[c * plane + i];
                v = Clip(l + factor * (v - l));
            }
        }
    }

    /// <summary>Blends towards the mean grey level of the image (<c>ImageEnhance.Contrast</c>).</summary>
    public static void Contrast(Span<byte> img, int channels, float factor)
    {
        int plane = img.Length / channels;
        double sum = 0;
        for (int i = 0; i < plane; i++)
            sum += channels == 3 ? Luma(img[i], img[plane + i], img[2 * plane + i]) : img[i];
        float mean = (int)(sum / plane + 0.5);
        for (int i = 0; i < img.Length; i++) img[i] = Clip(mean + factor * (img[i] - mean));
    }

    /// <summary>
    /// Blends with a smoothed copy (kernel <c>[1 1 1; 1 5 1; 1 1 1] / 13</c>, border pixels kept), as
    /// <c>ImageEnhance.Sharpness</c> does; factors below 1 blur, above 1 sharpen.
    /// </summary>
    public static void Sharpness(Span<byte> img, int channels, int height, int width, float factor, Span<byte> scratch)
    {
        img.CopyTo(scratch);
        int plane = height * width;
        for (int c = 0; c < channels; c++)
            for (int y = 1; y < height - 1; y++)
                for (int x = 1; x < width - 1; x++)
                {
                    int o = c * plane + y * width + x;
                    int s = 0;
                    for (int ky = -1; ky <= 1; ky++)
                        for (int kx = -1; kx <= 1; kx++)
                            s += scratch[o + ky * width + kx];
                    s += 4 * scratch[o];
                    float smooth = (int)(s / 13f + 0.5f);
                    img[o] = Clip(smooth + factor * (scratch[o] - smooth));
                }
    }

    /// <summary>
    /// Inverse-maps every output pixel centre through <c>(sx, sy) = (a·x + b·y + c, d·x + e·y + f)</c>
    /// and copies the nearest source pixel; pixels that land outside are black (PIL's AFFINE transform).
    /// </summary>
    public static void Affine(Span<byte> img, int channels, int height, int width,
        float a, float b, float c, float d, float e, float f, Span<byte> scratch)
    {
        img.CopyTo(scratch);
        int plane = height * width;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float px = x + 0.5f, py = y + 0.5f;
                int sx = (int)MathF.Floor(a * px + b * py + c);
                int sy = (int)MathF.Floor(d * px + e * py + f);
                bool inside = (uint)sx < (uint)width && (uint)sy < (uint)height;
                for (int ch = 0; ch < channels; ch++)
                    img[ch * plane + y * width + x] = inside ? scratch[ch * plane + sy * width + sx] : (byte)0;
            }
    }

    /// <summary>Rotates by <paramref name="degrees"/> about the image centre (the sign picks the direction), black corners.</summary>
    public static void Rotate(Span<byte> img, int channels, int height, int width, float degrees, Span<byte> scratch)
    {
        float t = degrees * MathF.PI / 180f, cos = MathF.Cos(t), sin = MathF.Sin(t);
        float cx = width / 2f, cy = height / 2f;
        // Each output point p reads the source at centre + R(θ)(p − centre).
        Affine(img, channels, height, width,
            cos, -sin, cx - cos * cx + sin * cy,
            sin, cos, cy - sin * cx - cos * cy, scratch);
    }

    /// <summary>Fills a <paramref name="size"/>-pixel square centred at (<paramref name="centreX"/>, <paramref name="centreY"/>), clipped to the image, with <paramref name="value"/> (Cutout).</summary>
    public static void Cutout(Span<byte> img, int channels, int height, int width, int centreX, int centreY, int size, byte value)
    {
        int x0 = Math.Max(0, centreX - size / 2), y0 = Math.Max(0, centreY - size / 2);
        int x1 = Math.Min(width, x0 + size), y1 = Math.Min(height, y0 + size);
        int plane = height * width;
        for (int c = 0; c < channels; c++)
            for (int y = y0; y < y1; y++)
                img.Slice(c * plane + y * width + x0, Math.Max(0, x1 - x0)).Fill(value);
    }

    static float Luma(byte r, byte g, byte b) => (r * 299 + g * 587 + b * 114) / 1000f;

    static byte Clip(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)v;
}
