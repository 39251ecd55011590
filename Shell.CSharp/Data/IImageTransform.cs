namespace LogitStd.Shell.Data;

/// <summary>
/// Turns one uint8 CHW image into normalised float32 CHW values of a fixed output shape.
/// Implementations are stateless and thread-safe: all randomness comes from the
/// <see cref="SampleRandom"/> the loader passes in, so a sample's result is a pure function of
/// (image, seed, epoch, index).
/// </summary>
public interface IImageTransform
{
    /// <summary>Channels of the output.</summary>
    int OutputChannels { get; }

    /// <summary>Height of the output.</summary>
    int OutputHeight { get; }

    /// <summary>Width of the output.</summary>
    int OutputWidth { get; }

    /// <summary>Writes the transformed image (<c>OutputChannels × OutputHeight × OutputWidth</c> floats) into <paramref name="destination"/>.</summary>
    void Apply(ImageView image, Span<float> destination, ref SampleRandom random);
}
