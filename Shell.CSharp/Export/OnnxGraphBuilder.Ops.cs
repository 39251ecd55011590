namespace LogitStd.Shell.Export;

/// <summary>The parameter-free operators: activations, pooling, sums, concatenation and ShuffleNet's channel plumbing.</summary>
public sealed partial class OnnxGraphBuilder
{
    /// <summary><c>max(x, 0)</c>.</summary>
    public OnnxValue Relu(OnnxValue x) => Emit("Relu", [x.Name], x.Shape);

    /// <summary>The elementwise sum of two values of one shape (a residual connection).</summary>
    public OnnxValue Add(OnnxValue a, OnnxValue b)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new OnnxExportException($"module '{Scope}': adding shapes ({string.Join(", ", a.Shape)}) and ({string.Join(", ", b.Shape)})");
        return Emit("Add", [a.Name, b.Name], a.Shape);
    }

    /// <summary>Max pooling as <c>F.max_pool2d(x, kernel, stride, padding)</c> (floor mode).</summary>
    public OnnxValue MaxPool(OnnxValue x, long kernel, long stride, long padding = 0, bool ceilMode = false, long[]? dilation = null)
    {
        if (ceilMode) throw new OnnxExportException($"module '{Scope}': ceil_mode pooling is not supported");
        if (dilation is { Length: > 0 } && dilation.Any(d => d != 1)) throw new OnnxExportException($"module '{Scope}': dilated max pooling is not supported");
        return Emit("MaxPool", [x.Name], PoolShape(x, kernel, stride, padding),
            Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding));
    }

    /// <summary>Average pooling as <c>F.avg_pool2d(x, kernel, stride, padding, count_include_pad)</c> (floor mode).</summary>
    public OnnxValue AveragePool(OnnxValue x, long kernel, long stride, long padding, bool countIncludePad, bool ceilMode = false)
    {
        if (ceilMode) throw new OnnxExportException($"module '{Scope}': ceil_mode pooling is not supported");
        return Emit("AveragePool", [x.Name], PoolShape(x, kernel, stride, padding),
            Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding),
            Int("count_include_pad", countIncludePad ? 1 : 0));
    }

    /// <summary>Global average pooling to (N, C): <c>GlobalAveragePool</c> then <c>Flatten</c> (the zoo's <c>Layers.GlobalAvgPool</c>).</summary>
    public OnnxValue GlobalAveragePool(OnnxValue x)
    {
        var pooled = Emit("GlobalAveragePool", [x.Name], [x.Channels, 1, 1]);
        return Flatten(pooled);
    }

    /// <summary><c>x.flatten(1)</c>: (N, C, H, W) → (N, C·H·W), row-major as in PyTorch.</summary>
    public OnnxValue Flatten(OnnxValue x) =>
        Emit("Flatten", [x.Name], [x.Shape.Aggregate(1L, (a, d) => a * d)], Int("axis", 1));

    /// <summary>Concatenation along the channels, <c>torch.cat([a, b], 1)</c>.</summary>
    public OnnxValue Concat(OnnxValue a, OnnxValue b)
    {
        if (!a.Shape.Skip(1).SequenceEqual(b.Shape.Skip(1)))
            throw new OnnxExportException($"module '{Scope}': concatenating shapes ({string.Join(", ", a.Shape)}) and ({string.Join(", ", b.Shape)})");
        return Emit("Concat", [a.Name, b.Name], [a.Channels + b.Channels, .. a.Shape.Skip(1)], Int("axis", 1));
    }

    /// <summary><c>x.narrow(1, start, length)</c>: a channel range, as <c>Slice</c>.</summary>
    public OnnxValue SliceChannels(OnnxValue x, long start, long length)
    {
        if (start < 0 || length <= 0 || start + length > x.Channels)
            throw new OnnxExportException($"module '{Scope}': channel slice {start}..{start + length} of {x.Channels} channels");
        string[] inputs = [x.Name, Constant("starts", start), Constant("ends", start + length), Constant("axes", 1)];
        return Emit("Slice", inputs, [length, .. x.Shape.Skip(1)]);
    }

    /// <summary>
    /// ShuffleNet's channel shuffle (<c>Layers.ChannelShuffle</c>): (N, g·c, H, W) → (N, g, c, H·W) →
    /// transpose the group axes → (N, c·g, H, W). Reshape's 0 copies the batch size, so the batch stays dynamic.
    /// </summary>
    public OnnxValue ChannelShuffle(OnnxValue x, long groups)
    {
        if (groups == 1) return x;
        var (c, h, w) = (x.Channels, x.Shape[1], x.Shape[2]);
        if (c % groups != 0) throw new OnnxExportException($"module '{Scope}': {c} channels do not split into {groups} groups");
        var split = Emit("Reshape", [x.Name, Constant("shuffle_shape", 0, groups, c / groups, h * w)], [groups, c / groups, h * w]);
        var swapped = Emit("Transpose", [split.Name], [c / groups, groups, h * w], Ints("perm", 0, 2, 1, 3));
        return Emit("Reshape", [swapped.Name, Constant("unshuffle_shape", 0, c, h, w)], x.Shape);
    }

    private long[] PoolShape(OnnxValue x, long kernel, long stride, long padding)
    {
        if (x.Shape.Count != 3)
            throw new OnnxExportException($"module '{Scope}': pooling needs a (C, H, W) map, the graph has shape ({string.Join(", ", x.Shape)}) there");
        return [x.Channels, OutSize(x.Shape[1], kernel, stride, padding, 1), OutSize(x.Shape[2], kernel, stride, padding, 1)];
    }
}
