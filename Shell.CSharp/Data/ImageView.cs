namespace LogitStd.Shell.Data;

/// <summary>
/// One decoded image: <see cref="Pixels"/> holds <c>Channels × Height × Width</c> bytes in
/// channel-major (CHW) order, the layout of the CIFAR binary files and of the tensors the loader
/// produces, so transforms walk it without reshuffling.
/// </summary>
public readonly struct ImageView
{
    /// <summary>Wraps existing pixel memory; the length must be <c>channels × height × width</c>.</summary>
    public ImageView(ReadOnlyMemory<byte> pixels, int channels, int height, int width)
    {
        if (pixels.Length != channels * height * width)
            throw new ArgumentException($"pixel buffer has {pixels.Length} bytes, expected {channels}×{height}×{width}");
        Pixels = pixels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>The pixels, CHW, one byte per channel value.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Number of channels (1 for grey, 3 for RGB).</summary>
    public int Channels { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
}
