using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LogitStd.Shell.Models;

/// <summary>
/// Folds each BatchNorm of a frozen (eval-mode) model into the convolution that feeds it, for
/// inference only: with <c>s = γ / √(σ² + ε)</c> per output channel, <c>W' = W · s</c> and
/// <c>b' = (b − μ) · s + β</c> (<c>b</c> = 0 for the bias-free convolutions of the ResNets). The
/// BatchNorm is then set to the identity (μ 0, σ² 1 − ε, γ 1, β 0), so that a model that still calls it
/// (a <c>Sequential</c> such as a ResNet's downsample) stays right, and <see cref="Layers.ConvBn"/>
/// skips it altogether. Which BatchNorm follows which convolution is found by running the model once
/// on random input with hooks: a BatchNorm whose input is the very tensor a convolution returned, still
/// holding the values it returned, and which is that convolution's sibling (a child of the same module:
/// the same block, or the same <c>Sequential</c>). The sibling rule keeps out data flow across blocks,
/// where the convolution's output has other readers: a pre-activation WideResNet feeds the stem
/// convolution's output both to the first block's BatchNorm and, raw, to its shortcut.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// Folds the conv → BatchNorm pairs of <paramref name="model"/> in place (it must not train again);
    /// returns how many were folded. By default only the pairs outside a <c>Sequential</c>: those are
    /// the <see cref="Layers.ConvBn"/> calls, whose BatchNorm is then skipped. A pair inside a
    /// <c>Sequential</c> still runs its (identity) BatchNorm, so folding it saves nothing and only
    /// changes the rounding (measured: docs/benchmarks.md); <paramref name="includeSequential"/> folds those too.
    /// </summary>
    public static int Fold(Classifier model, bool includeSequential = false)
    {
        model.eval();
        var pairs = FindPairs(model).Where(p => includeSequential || !p.InSequential).Select(p => (p.Conv, p.Bn)).ToList();
        using var noGrad = torch.no_grad();
        foreach (var (conv, bn) in pairs)
        {
            using var scope = torch.NewDisposeScope();
            var weight = conv.weight!;
            var s = bn.weight! / (bn.running_var! + bn.eps).sqrt();
            var folded = weight * s.reshape(-1, 1, 1, 1);
            var bias = (conv.bias is null ? -bn.running_mean! : conv.bias - bn.running_mean!) * s + bn.bias!;
            weight.copy_(folded);
            conv.bias = new Parameter(bias.detach().clone().MoveToOuterDisposeScope(), requires_grad: false);
            bn.running_mean!.zero_();
            bn.running_var!.fill_(1.0 - bn.eps);
            bn.weight!.fill_(1.0);
            bn.bias!.zero_();
        }
        return pairs.Count;
    }

    /// <summary>An inference-only copy of <paramref name="model"/> (same architecture and weights) with its
    /// <see cref="Layers.ConvBn"/> BatchNorms folded; the original is not changed.</summary>
    public static Classifier FoldedCopy(Classifier model)
    {
        var copy = ModelZoo.Create(model.Info.Name, model.Info.Classes);
        copy.load_state_dict(model.state_dict());
        copy.to(model.parameters().First().device);
        Fold(copy);
        return copy;
    }

    /// <summary>The (convolution, BatchNorm) pairs in which the BatchNorm's input is the convolution's output,
    /// and whether they are children of a <c>Sequential</c>.</summary>
    public static IReadOnlyList<(Conv2d Conv, BatchNorm2d Bn, bool InSequential)> FindPairs(Classifier model)
    {
        var outputs = new Dictionary<IntPtr, (Conv2d Conv, Tensor Values)>();
        var pairs = new List<(Conv2d, BatchNorm2d, bool)>();
        var parent = new Dictionary<nn.Module, nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var (_, m) in model.named_modules())
            foreach (var (_, child) in m.named_children()) parent[child] = m;
        bool Siblings(nn.Module a, nn.Module b) => parent.TryGetValue(a, out var pa) && parent.TryGetValue(b, out var pb) && ReferenceEquals(pa, pb);
        var removers = new List<Action>();
        foreach (var (_, m) in model.named_modules())
        {
            if (m is Conv2d conv)
            {
                var h = conv.register_forward_hook((_, _, output) => { outputs[output.Handle] = (conv, output.clone()); return output; });
                removers.Add(h.remove);
            }
            else if (m is BatchNorm2d bn)
            {
                var h = bn.register_forward_pre_hook((_, input) =>
                {
                    if (outputs.TryGetValue(input.Handle, out var c) && input.shape.SequenceEqual(c.Values.shape) && input.equal(c.Values).all().item<bool>() && Siblings(c.Conv, bn) && !pairs.Any(p => ReferenceEquals(p.Item2, bn)))
                        pairs.Add((c.Conv, bn, parent[bn] is Sequential));
                    return input;
                });
                removers.Add(h.remove);
            }
        }
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var shape = new long[] { 1 }.Concat(model.Info.InputShape.Select(d => (long)d)).ToArray();
            model.Forward(torch.randn(shape, generator: new Generator(1)));
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return pairs;
    }
}
