namespace LogitStd.Shell.Data;

/// <summary>
/// Resizing of 8-bit images as Pillow's <c>Image.resize(size, BILINEAR)</c> computes it — which is what
/// torchvision's <c>Resize</c> and <c>RandomResizedCrop</c> run on PIL images, and so what every
/// published ImageNet model was trained and evaluated on. Written from Pillow's algorithm
/// (<c>libImaging/Resample.c</c>): a separable triangle filter whose support widens with the reduction
/// factor (antialiasing), coefficients per output pixel normalised to sum 1 and held as fixed-point
/// integers of 22 fractional bits, the horizontal pass first, each pass rounded and clipped to 8 bits.
/// Integer arithmetic throughout, so the result is Pillow's to the bit.
/// </summary>
public static class PilResize
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>
    /// <paramref name="source"/> (uint8, CHW, <paramref name="channels"/> × <paramref name="height"/> ×
    /// <paramref name="width"/>) resized to <paramref name="outHeight"/> × <paramref name="outWidth"/>.
    /// </summary>
    public static byte[] Resize(ReadOnlySpan<byte> source, int channels, int height, int width, int outHeight, int outWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outWidth, 1);
        if (source.Length != checked(channels * height * width))
            throw new ArgumentException($"{source.Length} bytes for a {channels}×{height}×{width} image");
        var horizontal = Coefficients(width, outWidth);
        var vertical = Coefficients(height, outHeight);
        // Only the source rows some output row reads need the horizontal pass (Pillow's ybox_first/last).
        int firstRow = vertical.Start[0], lastRow = vertical.Start[outHeight - 1] + vertical.Count[outHeight - 1];
        bool needHorizontal = outWidth != width, needVertical = outHeight != height;
        byte[] rows;
        int rowsHeight, rowOffset;
        if (needHorizontal)
        {
            rowsHeight = needVertical ? lastRow - firstRow : height;
            rowOffset = needVertical ? firstRow : 0;
            rows = new byte[channels * rowsHeight * outWidth];
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < rowsHeight; y++)
                {
                    var input = source.Slice(c * height * width + (y + rowOffset) * width, width);
                    var output = rows.AsSpan(c * rowsHeight * outWidth + y * outWidth, outWidth);
                    for (int x = 0; x < outWidth; x++) output[x] = Apply(input, horizontal, x, 1);
                }
        }
        else
        {
            rows = source.ToArray();
            rowsHeight = height;
            rowOffset = 0;
        }
        if (!needVertical) return rows;
        var result = new byte[channels * outHeight * outWidth];
        for (int c = 0; c < channels; c++)
        {
            var plane = rows.AsSpan(c * rowsHeight * outWidth, rowsHeight * outWidth);
            for (int y = 0; y < outHeight; y++)
            {
                var column = plane[((vertical.Start[y] - rowOffset) * outWidth)..];
                var output = result.AsSpan(c * outHeight * outWidth + y * outWidth, outWidth);
                for (int x = 0; x < outWidth; x++) output[x] = Apply(column[x..], vertical, y, outWidth);
            }
        }
        return result;
    }

    /// <summary>One output value: the fixed-point weighted sum of the window, rounded half up and clipped to 0–255.</summary>
    static byte Apply(ReadOnlySpan<byte> input, Window window, int index, int stride)
    {
        long sum = 1L << (PrecisionBits - 1);
        int count = window.Count[index], start = index * window.Size;
        int offset = stride == 1 ? window.Start[index] : 0;
        for (int k = 0; k < count; k++) sum += input[(offset + k) * stride] * (long)window.Weights[start + k];
        return (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);
    }

    sealed record Window(int Size, int[] Start, int[] Count, int[] Weights);

    /// <summary>Pillow's <c>precompute_coeffs</c> for the bilinear filter (support 1) and <c>normalize_coeffs_8bpc</c>.</summary>
    static Window Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale;
        int size = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * size];
        var w = new double[size];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double total = 0, inverse = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            for (int x = 0; x < xmax; x++)
            {
                double t = Math.Abs((x + xmin - center + 0.5) * inverse);
                w[x] = t < 1.0 ? 1.0 - t : 0.0;
                total += w[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double normalised = total != 0.0 ? w[x] / total : w[x];
                weights[xx * size + x] = (int)(normalised < 0 ? -0.5 + normalised * (1 << PrecisionBits) : 0.5 + normalised * (1 << PrecisionBits));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Window(size, start, count, weights);
    }
}
