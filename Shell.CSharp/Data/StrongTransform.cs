using System.Buffers;

namespace LogitStd.Shell.Data;

/// <summary>
/// MLKD's strong view: random crop with zero padding + horizontal flip (as the weak view), then
/// <see cref="RandAugment"/> (2 FixMatch operations + Cutout), then <c>/255</c> and normalisation.
/// </summary>
public sealed class StrongTransform : IImageTransform
{
    readonly Normalization normalization;
    readonly RandAugment policy;

    /// <summary>Creates the strong view for images of the given shape.</summary>
    public StrongTransform(int channels, int height, int width, int padding, Normalization normalization, RandAugment? policy = null)
    {
        if (normalization.Channels != channels) throw new ArgumentException($"normalisation has {normalization.Channels} channels, images have {channels}");
        OutputChannels = channels;
        OutputHeight = height;
        OutputWidth = width;
        Padding = padding;
        this.normalization = normalization;
        this.policy = policy ?? new RandAugment();
    }

    /// <inheritdoc/>
    public int OutputChannels { get; }

    /// <inheritdoc/>
    public int OutputHeight { get; }

    /// <inheritdoc/>
    public int OutputWidth { get; }

    /// <summary>Zero padding before the random crop.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public void Apply(ImageView image, Span<float> destination, ref SampleRandom random)
    {
        if (image.Channels != OutputChannels || image.Height != OutputHeight || image.Width != OutputWidth)
            throw new ArgumentException($"image is {image.Channels}×{image.Height}×{image.Width}, transform expects {OutputChannels}×{OutputHeight}×{OutputWidth}");
        int n = OutputChannels * OutputHeight * OutputWidth;
        // Pooled scratch: a fresh 2 × 3 KB per sample would be tens of MB/s of garbage at loader speed.
        var rented = ArrayPool<byte>.Shared.Rent(2 * n);
        try
        {
            var work = rented.AsSpan(0, n);
            var scratch = rented.AsSpan(n, n);
            var (dy, dx, flip) = CropFlipTransform.Draw(ref random, Padding, 0.5);
            CropFlipTransform.CropFlip(image, Padding, dy, dx, flip, work);
            policy.Apply(work, OutputChannels, OutputHeight, OutputWidth, ref random, scratch);
            normalization.Apply(work, OutputHeight * OutputWidth, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
