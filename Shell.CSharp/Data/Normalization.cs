namespace LogitStd.Shell.Data;

/// <summary>
/// Per-channel <c>(pixel / 255 − mean) / std</c>, the <c>ToTensor</c> + <c>Normalize</c> pair of
/// torchvision. The result for each of the 256 byte values is tabulated once, computed in float32
/// in torchvision's order, so the values match PyTorch's bit for bit and cost one lookup per pixel.
/// </summary>
public sealed class Normalization
{
    readonly float[] table;

    /// <summary>Creates a normalisation for <c>mean.Count</c> channels.</summary>
    public Normalization(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count != std.Count || mean.Count == 0) throw new ArgumentException("mean and std need one entry per channel");
        if (std.Any(s => !(s > 0))) throw new ArgumentException("std must be positive");
        Mean = mean.ToArray();
        Std = std.ToArray();
        table = new float[Mean.Count * 256];
        for (int c = 0; c < Mean.Count; c++)
            for (int v = 0; v < 256; v++)
                table[c * 256 + v] = ((float)v / 255f - Mean[c]) / Std[c];
    }

    /// <summary>CIFAR-100 training-set statistics (PAPER.md §4, as mdistiller uses them).</summary>
    public static Normalization Cifar100 { get; } = new([0.5071f, 0.4867f, 0.4408f], [0.2675f, 0.2565f, 0.2761f]);

    /// <summary>ImageNet statistics, as torchvision's reference scripts use them.</summary>
    public static Normalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Fashion-MNIST training-set statistics.</summary>
    public static Normalization FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>The normalisation of a dataset (image folders: ImageNet's).</summary>
    public static Normalization For(LogitStd.Core.Domain.DatasetKind dataset) =>
        Core.Experiments.Dataset(dataset) switch
        {
            Core.DatasetId.FashionMnist => FashionMnist,
            Core.DatasetId.Cifar100 => Cifar100,
            Core.DatasetId.ImageFolder => ImageNet,
            _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, "unknown dataset"),
        };

    /// <summary>Per-channel means (of pixel / 255).</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-channel standard deviations (of pixel / 255).</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Count;

    /// <summary>The 256 normalised values of one channel, indexed by byte value.</summary>
    public ReadOnlySpan<float> Table(int channel) => table.AsSpan(channel * 256, 256);

    /// <summary>Normalises a uint8 CHW image into <paramref name="destination"/>.</summary>
    public void Apply(ReadOnlySpan<byte> chw, int planeSize, Span<float> destination)
    {
        for (int c = 0; c < Channels; c++)
        {
            var lut = Table(c);
            var src = chw.Slice(c * planeSize, planeSize);
            var dst = destination.Slice(c * planeSize, planeSize);
            for (int i = 0; i < src.Length; i++) dst[i] = lut[src[i]];
        }
    }
}
