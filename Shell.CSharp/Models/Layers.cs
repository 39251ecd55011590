using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LogitStd.Shell.Models;

/// <summary>
/// Small constructors with every PyTorch-relevant argument spelled out (STYLE.md §8), so model files
/// read like their layer tables, and Sequential containers whose children are named "0", "1", …
/// exactly where PyTorch's <c>nn.Sequential</c> numbers them (parameter-free layers keep their index).
/// </summary>
internal static class Layers
{
    public static Conv2d Conv(long inC, long outC, long kernel, long stride = 1, long padding = 0, long groups = 1, bool bias = false) =>
        nn.Conv2d(inC, outC, kernel, stride: stride, padding: padding, groups: groups, bias: bias);

    /// <summary>BatchNorm2d with PyTorch's defaults (eps 1e-5, momentum 0.1, affine, running statistics).</summary>
    public static BatchNorm2d BN(long channels) => nn.BatchNorm2d(channels, eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true);

    /// <summary>
    /// <c>bn(conv(x))</c> — or <c>conv(x)</c> alone once <see cref="BatchNormFolding"/> has folded the
    /// BatchNorm into the convolution. The convolutions the zoo calls through here have no bias (the
    /// ResNets, ShuffleNets, WideResNets); the folding gives one to each convolution it folds a
    /// BatchNorm into, and that bias is the mark. A convolution with a bias of its own must not come here.
    /// </summary>
    public static Tensor ConvBn(Conv2d conv, BatchNorm2d bn, Tensor x) => conv.bias is null ? conv.call(x).Then(bn.call) : conv.call(x);

    /// <summary>
    /// <c>f(x)</c>, then <paramref name="x"/> disposed: the one way the zoo's forwards free an
    /// intermediate as soon as the next operation has consumed it, as PyTorch frees a tensor whose last
    /// reference drops. Only for a tensor the forward created itself and reads nowhere else — never a
    /// forward's input. Safe for backward: autograd keeps its own reference to every tensor it saved, so
    /// disposing the C# handle frees the memory only when nothing needs it; the values and gradients are
    /// those of the undisposed chain, bit for bit. Without this the step's dispose scope kept every
    /// activation of a forward alive until the step ended (docs/benchmarks.md, resident memory). An
    /// in-place <paramref name="f"/> that returns <paramref name="x"/> itself leaves it undisposed.
    /// </summary>
    public static Tensor Then(this Tensor x, Func<Tensor, Tensor> f)
    {
        var y = f(x);
        if (!ReferenceEquals(y, x)) x.Dispose();
        return y;
    }

    /// <summary><c>relu(x)</c> as a function value, for <see cref="Then"/>.</summary>
    public static Tensor Relu(Tensor x) => nn.functional.relu(x);

    /// <summary>A Sequential whose children are named by position, as PyTorch names them.</summary>
    public static Sequential Seq(params nn.Module<Tensor, Tensor>[] modules) =>
        nn.Sequential(modules.Select((m, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), m)).ToArray());

    /// <summary>Channel shuffle of ShuffleNet: (N, g·c, H, W) → (N, g, c, H, W) → transpose → (N, c·g, H, W).</summary>
    public static Tensor ChannelShuffle(Tensor x, long groups)
    {
        var (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        // The reshape and the permute are views of x; the last reshape copies.
        return x.reshape(n, groups, c / groups, h, w).Then(v => v.permute(0, 2, 1, 3, 4)).Then(v => v.reshape(n, c, h, w));
    }

    /// <summary>Global average pooling to (N, C): equals mdistiller's fixed-size <c>AvgPool2d</c> at the native input size.</summary>
    public static Tensor GlobalAvgPool(Tensor x) => nn.functional.adaptive_avg_pool2d(x, 1).Then(p => p.flatten(1));
}
