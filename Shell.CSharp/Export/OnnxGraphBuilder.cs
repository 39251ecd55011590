using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LogitStd.Shell.Export;

/// <summary>A value of the graph being built: its name and its shape without the (dynamic) batch dimension.</summary>
/// <param name="Name">The ONNX value name.</param>
/// <param name="Shape">(C, H, W) for feature maps, (D) for flat features.</param>
public sealed record OnnxValue(string Name, IReadOnlyList<long> Shape)
{
    /// <summary>Channels (the first non-batch dimension).</summary>
    public long Channels => Shape[0];
}

/// <summary>A model part the exporter cannot write; the message names the module's path and type.</summary>
public sealed class OnnxExportException(string message) : InputException(message);

/// <summary>
/// Builds an ONNX graph by walking a model's forward pass. Models and blocks describe themselves
/// through <see cref="IOnnxExportable"/> / <see cref="IOnnxClassifier"/>, calling <see cref="Module"/>
/// for each child by its state-dict name; the standard layers (Conv2d, BatchNorm2d, ReLU, MaxPool2d,
/// AvgPool2d, Linear, Sequential) are written here. Initializers are named by their state-dict keys
/// (<c>layer1.0.conv1.weight</c>), so the graph reads like the checkpoint. BatchNorm is written as an
/// inference-mode <c>BatchNormalization</c> with the running statistics (ONNX Runtime folds it into
/// the preceding convolution when it loads the model).
/// </summary>
public sealed partial class OnnxGraphBuilder
{
    private readonly List<OnnxNode> nodes = [];
    private readonly List<OnnxTensor> initializers = [];
    private readonly HashSet<string> consumed = new(StringComparer.Ordinal);
    private readonly Stack<string> path = new();
    private int counter;

    /// <summary>Starts a graph whose input <paramref name="inputName"/> has shape (N, C, H, W).</summary>
    public OnnxGraphBuilder(string inputName, IReadOnlyList<int> inputShape)
    {
        Input = new OnnxValue(inputName, [.. inputShape.Select(d => (long)d)]);
    }

    /// <summary>The graph input.</summary>
    public OnnxValue Input { get; }

    /// <summary>The nodes so far, in topological order.</summary>
    public IReadOnlyList<OnnxNode> Nodes => nodes;

    /// <summary>The constants so far.</summary>
    public IReadOnlyList<OnnxTensor> Initializers => initializers;

    /// <summary>State-dict keys written as initializers (to check that no parameter was left out).</summary>
    public IReadOnlySet<string> ConsumedKeys => consumed;

    private string Scope => string.Join(".", path.Reverse());

    private string Key(string leaf) => Scope.Length == 0 ? leaf : $"{Scope}.{leaf}";

    /// <summary>
    /// Writes child module <paramref name="name"/> applied to <paramref name="x"/>: a standard layer
    /// directly, a Sequential child by child, a zoo block through its own <see cref="IOnnxExportable"/>.
    /// </summary>
    /// <exception cref="OnnxExportException">The module (or one inside it) is of a type the exporter does not know.</exception>
    public OnnxValue Module(string name, nn.Module module, OnnxValue x)
    {
        path.Push(name);
        try
        {
            return module switch
            {
                IOnnxExportable block => block.ExportOnnx(this, x),
                Sequential seq => seq.named_children().Aggregate(x, (h, child) => Module(child.name, child.module, h)),
                Conv2d conv => Conv(conv, x),
                BatchNorm2d bn => BatchNorm(bn, x),
                ReLU => Relu(x),
                MaxPool2d pool => MaxPool(x, Pair(pool.kernel_size, "kernel_size"), Pair(pool.stride is { Length: > 0 } s ? s : pool.kernel_size, "stride"),
                    Pair(pool.padding is { Length: > 0 } p ? p : [0], "padding"), pool.ceil_mode, pool.dilation),
                AvgPool2d pool when pool.divisor_override is null => AveragePool(x, Pair(pool.kernel_size, "kernel_size"),
                    Pair(pool.stride is { Length: > 0 } s ? s : pool.kernel_size, "stride"), Pair(pool.padding is { Length: > 0 } p ? p : [0], "padding"),
                    pool.count_include_pad, pool.ceil_mode),
                Linear fc => Gemm(fc, x),
                _ => throw Unsupported(module, "the ONNX exporter knows Conv2d, BatchNorm2d, ReLU, MaxPool2d, AvgPool2d, Linear, Sequential and the zoo's blocks"),
            };
        }
        finally
        {
            path.Pop();
        }
    }

    /// <summary>The error for a module that cannot be written, naming its path and type.</summary>
    public OnnxExportException Unsupported(nn.Module module, string why) =>
        new($"cannot export module '{(Scope.Length == 0 ? "(root)" : Scope)}' of type {module.GetType().FullName}: {why}");

    private long Pair(long[]? values, string what)
    {
        if (values is null || values.Length == 0) throw new OnnxExportException($"module '{Scope}': {what} is not set");
        if (values.Any(v => v != values[0])) throw new OnnxExportException($"module '{Scope}': non-square {what} ({string.Join("×", values)}) is not supported");
        return values[0];
    }

    /// <summary>A convolution (zero padding; grouped and depthwise allowed).</summary>
    public OnnxValue Conv(Conv2d conv, OnnxValue x)
    {
        if (conv.transposed) throw Unsupported(conv, "transposed convolutions are not supported");
        if (conv.padding_mode != PaddingModes.Zeros) throw Unsupported(conv, $"padding mode {conv.padding_mode} is not supported (zeros only)");
        if (conv.padding_type is not null) throw Unsupported(conv, "string padding ('same'/'valid') is not supported; give explicit padding");
        var k = Pair(conv.kernel_size, "kernel_size");
        var s = Pair(conv.stride, "stride");
        var p = Pair(conv.padding, "padding");
        var d = Pair(conv.dilation, "dilation");
        if (x.Channels != conv.in_channels) throw new OnnxExportException($"module '{Scope}': expects {conv.in_channels} input channels, the graph has {x.Channels} there");
        var inputs = new List<string> { x.Name, Param("weight", conv.weight) };
        if (conv.bias is { } bias) inputs.Add(Param("bias", bias));
        var h = OutSize(x.Shape[1], k, s, p, d);
        var w = OutSize(x.Shape[2], k, s, p, d);
        return Emit("Conv", inputs, [conv.out_channels, h, w],
            Ints("kernel_shape", k, k), Ints("strides", s, s), Ints("pads", p, p, p, p), Ints("dilations", d, d), Int("group", conv.groups));
    }

    /// <summary>Inference-mode batch normalization with the running statistics.</summary>
    public OnnxValue BatchNorm(BatchNorm2d bn, OnnxValue x)
    {
        if (bn.running_mean is null || bn.running_var is null) throw Unsupported(bn, "BatchNorm without running statistics cannot be exported for inference");
        if (bn.weight is null || bn.bias is null) throw Unsupported(bn, "BatchNorm without affine parameters is not supported");
        string[] inputs = [x.Name, Param("weight", bn.weight), Param("bias", bn.bias), Param("running_mean", bn.running_mean), Param("running_var", bn.running_var)];
        consumed.Add(Key("num_batches_tracked"));
        return Emit("BatchNormalization", inputs, x.Shape, new OnnxAttribute("epsilon", Float: (float)bn.eps));
    }

    /// <summary>A fully connected layer, <c>x Wᵀ + b</c>, as <c>Gemm</c> with transB = 1.</summary>
    public OnnxValue Gemm(Linear fc, OnnxValue x)
    {
        if (x.Shape.Count != 1) throw new OnnxExportException($"module '{Scope}': Linear needs flat input, the graph has shape ({string.Join(", ", x.Shape)}) there");
        if (x.Shape[0] != fc.in_features) throw new OnnxExportException($"module '{Scope}': expects {fc.in_features} features, the graph has {x.Shape[0]} there");
        var inputs = new List<string> { x.Name, Param("weight", fc.weight) };
        if (fc.bias is { } bias) inputs.Add(Param("bias", bias));
        return Emit("Gemm", inputs, [fc.out_features], Int("transB", 1));
    }

    private string Param(string leaf, Tensor tensor)
    {
        var key = Key(leaf);
        consumed.Add(key);
        using var scope = NewDisposeScope();
        var data = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        initializers.Add(new OnnxTensor(key, tensor.shape, Floats: data));
        return key;
    }

    /// <summary>An int64 constant (shapes, slice bounds).</summary>
    private string Constant(string leaf, params long[] values)
    {
        var name = $"{Key(leaf)}_{counter++.ToString(CultureInfo.InvariantCulture)}";
        initializers.Add(new OnnxTensor(name, [values.Length], Longs: values));
        return name;
    }

    private OnnxValue Emit(string op, IReadOnlyList<string> inputs, IReadOnlyList<long> shape, params OnnxAttribute[] attributes)
    {
        var id = counter++.ToString(CultureInfo.InvariantCulture);
        var scope = Scope.Length == 0 ? op : $"{Scope}/{op}";
        var output = $"{scope}_{id}";
        nodes.Add(new OnnxNode(op, $"{scope}#{id}", inputs, [output], attributes));
        return new OnnxValue(output, shape);
    }

    private static OnnxAttribute Int(string name, long value) => new(name, Int: value);

    private static OnnxAttribute Ints(string name, params long[] values) => new(name, Ints: values);

    private static long OutSize(long size, long kernel, long stride, long pad, long dilation) =>
        (size + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}
