using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Models;

/// <summary>
/// The channels-last memory format of a (N, C, H, W) batch: the same shape and values, laid out as
/// (N, H, W, C) in memory (strides H·W·C, 1, W·C, C). libtorch's CPU convolutions (oneDNN), pooling
/// and BatchNorm see the strides and keep every activation channels-last, which skips the reorders
/// between PyTorch's default layout and oneDNN's blocked one and uses the vectorised channels-last
/// kernels (max pooling ~4× faster). TorchSharp 0.107 has no <c>memory_format</c> argument, hence the
/// strides are set directly.
/// </summary>
/// <remarks>
/// Every inference forward uses it (<see cref="Classifier.Infer"/>: the frozen teacher, the teacher
/// cache, evaluation, predict): the logits equal the default layout's to float32 rounding (≤ 1.2e-6
/// relative on ten zoo models) in 1.1–3× less time (tools/bench/channels_last.fsx,
/// docs/benchmarks.md). The student trains channels-last only when asked
/// (<c>experiment.channels_last</c>): a run so far keeps its exact numbers, and the default is the
/// official code's layout. Its gradients are float32 gradients like the default layout's (their
/// distance to float64 is of the same size in both), though libtorch's channels-last BatchNorm
/// training kernel alone rounds about 10× more (1.8e-6 against 1.3e-7 relative).
/// </remarks>
public static class MemoryFormat
{
    /// <summary>Whether <paramref name="x"/> is a 4-D tensor laid out channels-last.</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        if (x.dim() != 4) return false;
        var s = x.shape;
        var st = x.stride();
        return st[1] == 1 && st[3] == s[1] && st[2] == s[3] * s[1] && st[0] == s[2] * s[3] * s[1];
    }

    /// <summary>
    /// <paramref name="x"/> (N, C, H, W) laid out channels-last: <paramref name="x"/> itself when it already
    /// is (or is not 4-D), else a copy (no copy for C = 1, whose memory is already in that order). The result
    /// has autograd's history (a view of the copy), so gradients flow back to <paramref name="x"/>.
    /// </summary>
    public static Tensor ToChannelsLast(Tensor x)
    {
        if (x.dim() != 4 || IsChannelsLast(x)) return x;
        var s = x.shape;
        // (N, H, W, C) contiguous, then viewed back as (N, C, H, W) with its strides.
        using var permuted = x.permute(0, 2, 3, 1);
        using var nhwc = permuted.contiguous();
        return nhwc.as_strided(s, [s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]], nhwc.storage_offset());
    }
}
