namespace LogitStd.Shell.Data;

/// <summary>
/// RandAugment as FixMatch's <c>RandAugmentMC</c> defines it and MLKD's strong view uses it: pick
/// <see cref="Ops"/> operations from the FixMatch list with replacement; for each, a magnitude
/// <c>v</c> uniform in <c>1..M</c> and a coin flip (p = 0.5) whether to apply it; then Cutout of a
/// square half the image side, filled with grey 127.
/// </summary>
public sealed class RandAugment
{
    /// <summary>The FixMatch operation list.</summary>
    public enum Op
    {
        /// <summary>Stretch each channel to the full range.</summary>
        AutoContrast,
        /// <summary>Scale brightness by 0.05 + 0.9·v/M.</summary>
        Brightness,
        /// <summary>Blend with grey by 0.05 + 0.9·v/M.</summary>
        Color,
        /// <summary>Blend with the mean grey by 0.05 + 0.9·v/M.</summary>
        Contrast,
        /// <summary>Histogram equalisation.</summary>
        Equalize,
        /// <summary>No change.</summary>
        Identity,
        /// <summary>Keep 4 + ⌊4·v/M⌋ bits.</summary>
        Posterize,
        /// <summary>Rotate by ±30°·v/M.</summary>
        Rotate,
        /// <summary>Blend with a smoothed copy by 0.05 + 0.9·v/M.</summary>
        Sharpness,
        /// <summary>Horizontal shear ±0.3·v/M.</summary>
        ShearX,
        /// <summary>Vertical shear ±0.3·v/M.</summary>
        ShearY,
        /// <summary>Invert values at or above 256 − ⌊256·v/M⌋.</summary>
        Solarize,
        /// <summary>Horizontal shift by ±0.3·v/M of the width.</summary>
        TranslateX,
        /// <summary>Vertical shift by ±0.3·v/M of the height.</summary>
        TranslateY,
    }

    static readonly Op[] All = Enum.GetValues<Op>();

    /// <summary>Creates the policy with <paramref name="ops"/> operations of maximum magnitude <paramref name="magnitude"/>.</summary>
    public RandAugment(int ops = 2, int magnitude = 10)
    {
        if (ops < 0 || magnitude < 1) throw new ArgumentOutOfRangeException(nameof(ops));
        Ops = ops;
        Magnitude = magnitude;
    }

    /// <summary>Operations drawn per image (2 in MLKD).</summary>
    public int Ops { get; }

    /// <summary>Maximum magnitude M (10 in FixMatch and MLKD).</summary>
    public int Magnitude { get; }

    /// <summary>Applies the policy and the Cutout in place; <paramref name="scratch"/> must be as long as the image.</summary>
    public void Apply(Span<byte> img, int channels, int height, int width, ref SampleRandom random, Span<byte> scratch)
    {
        for (int k = 0; k < Ops; k++)
        {
            var op = All[random.Next(All.Length)];
            int v = random.NextInclusive(1, Magnitude);
            if (random.Chance(0.5)) ApplyOp(op, v, img, channels, height, width, ref random, scratch);
        }
        int size = Math.Max(1, width / 2);
        ImageOps.Cutout(img, channels, height, width, random.Next(width), random.Next(height), size, 127);
    }

    /// <summary>Applies one operation at magnitude <paramref name="v"/>; geometric ones draw their sign from <paramref name="random"/>.</summary>
    public void ApplyOp(Op op, int v, Span<byte> img, int channels, int height, int width, ref SampleRandom random, Span<byte> scratch)
    {
        float level = (float)v / Magnitude;
        float enhance = level * 0.9f + 0.05f;
        switch (op)
        {
            case Op.AutoContrast: ImageOps.AutoContrast(img, channels); break;
            case Op.Brightness: ImageOps.Brightness(img, enhance); break;
            case Op.Color: ImageOps.Color(img, channels, enhance); break;
            case Op.Contrast: ImageOps.Contrast(img, channels, enhance); break;
            case Op.Equalize: ImageOps.Equalize(img, channels); break;
            case Op.Identity: break;
            case Op.Posterize: ImageOps.Posterize(img, (int)(level * 4) + 4); break;
            case Op.Rotate: ImageOps.Rotate(img, channels, height, width, Signed(level * 30f, ref random), scratch); break;
            case Op.Sharpness: ImageOps.Sharpness(img, channels, height, width, enhance, scratch); break;
            case Op.ShearX: ImageOps.Affine(img, channels, height, width, 1, Signed(level * 0.3f, ref random), 0, 0, 1, 0, scratch); break;
            case Op.ShearY: ImageOps.Affine(img, channels, height, width, 1, 0, 0, Signed(level * 0.3f, ref random), 1, 0, scratch); break;
            case Op.Solarize: ImageOps.Solarize(img, 256 - (int)(level * 256)); break;
            case Op.TranslateX: ImageOps.Affine(img, channels, height, width, 1, 0, (int)(Signed(level * 0.3f, ref random) * width), 0, 1, 0, scratch); break;
            case Op.TranslateY: ImageOps.Affine(img, channels, height, width, 1, 0, 0, 0, 1, (int)(Signed(level * 0.3f, ref random) * height), scratch); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown RandAugment operation");
        }
    }

    static float Signed(float value, ref SampleRandom random) => random.Chance(0.5) ? -value : value;
}
