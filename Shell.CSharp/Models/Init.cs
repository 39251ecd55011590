using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LogitStd.Shell.Models;

/// <summary>
/// The weight initialisations mdistiller's model files use, written once. Modules are created with
/// TorchSharp's defaults, which equal PyTorch's (<c>reset_parameters</c>: Kaiming-uniform with
/// a = √5 for weights, uniform ±1/√fan_in for biases); models whose mdistiller file re-initialises
/// call these afterwards.
/// </summary>
internal static class Init
{
    /// <summary>
    /// Normal(0, √(2 / (k_h·k_w·out_channels))): mdistiller's <c>normal_(0, math.sqrt(2. / n))</c> and
    /// <c>kaiming_normal_(mode="fan_out", nonlinearity="relu")</c> are the same distribution
    /// (fan_out of a grouped conv is also out_channels·k_h·k_w). Zeroes the bias when there is one.
    /// </summary>
    public static void ConvFanOut(Conv2d conv)
    {
        using var _ = no_grad();
        var w = conv.weight!;
        var fanOut = w.shape[0] * w.shape[2] * w.shape[3];
        nn.init.normal_(w, 0.0, Math.Sqrt(2.0 / fanOut));
        if (conv.bias is { } b) nn.init.zeros_(b);
    }

    /// <summary>BatchNorm affine parameters: weight 1, bias 0.</summary>
    public static void BatchNorm(BatchNorm2d bn)
    {
        using var _ = no_grad();
        nn.init.ones_(bn.weight!);
        nn.init.zeros_(bn.bias!);
    }

    /// <summary>Linear head as in mdistiller's VGG and MobileNetV2: weight Normal(0, 0.01), bias 0.</summary>
    public static void LinearSmallNormal(Linear fc)
    {
        using var _ = no_grad();
        nn.init.normal_(fc.weight!, 0.0, 0.01);
        if (fc.bias is { } b) nn.init.zeros_(b);
    }

    /// <summary>Linear head as in mdistiller's WRN: PyTorch's default weight, bias 0.</summary>
    public static void LinearZeroBias(Linear fc)
    {
        using var _ = no_grad();
        if (fc.bias is { } b) nn.init.zeros_(b);
    }

    /// <summary>Applies <paramref name="conv"/>/<paramref name="bn"/> initialisers to every submodule of <paramref name="root"/>.</summary>
    public static void Apply(nn.Module root, Action<Conv2d>? conv = null, Action<BatchNorm2d>? bn = null, Action<Linear>? linear = null)
    {
        foreach (var (_, m) in root.named_modules())
        {
            switch (m)
            {
                case Conv2d c when conv is not null: conv(c); break;
                case BatchNorm2d b when bn is not null: bn(b); break;
                case Linear l when linear is not null: linear(l); break;
            }
        }
    }
}
