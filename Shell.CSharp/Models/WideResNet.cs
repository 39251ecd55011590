using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// mdistiller's WideResNet (<c>models/cifar/wrn.py</c>), depth 6n + 4, widen factor k: a 3×3 stem of
/// 16 channels, three <c>NetworkBlock</c>s (<c>block1..3</c>, each holding <c>layer</c>) of n
/// pre-activation blocks with widths 16k/32k/64k and strides 1/2/2, a final BN-ReLU, global average
/// pooling and a linear head <c>fc</c>. Dropout is 0 in every mdistiller configuration, so it is omitted.
/// </summary>
public sealed class WideResNet : Classifier, IOnnxClassifier
{
    private readonly Conv2d conv1;
    private readonly NetworkBlock block1;
    private readonly NetworkBlock block2;
    private readonly NetworkBlock block3;
    private readonly BatchNorm2d bn1;
    private readonly Linear fc;

    /// <summary>Builds wrn_<paramref name="depth"/>_<paramref name="widen"/>.</summary>
    public WideResNet(string name, int depth, int widen, int classes)
        : base(new ModelInfo(name, "WideResNet", DatasetKind.Cifar100, classes, [3, 32, 32], 64 * widen, "fc.weight"))
    {
        if ((depth - 4) % 6 != 0) throw new ArgumentException($"WideResNet depth must be 6n+4, got {depth}", nameof(depth));
        var n = (depth - 4) / 6;
        long[] ch = [16, 16 * widen, 32 * widen, 64 * widen];
        conv1 = Conv(3, ch[0], 3, padding: 1);
        block1 = new NetworkBlock(n, ch[0], ch[1], 1);
        block2 = new NetworkBlock(n, ch[1], ch[2], 2);
        block3 = new NetworkBlock(n, ch[2], ch[3], 2);
        bn1 = BN(ch[3]);
        fc = nn.Linear(ch[3], classes);
        RegisterComponents();
        // mdistiller: conv Normal(0, √(2/(k²·out))), BN 1/0, linear bias 0 (weight keeps the default).
        Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm, linear: Init.LinearZeroBias);
    }

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var feature = conv1.call(x).Then(block1.call).Then(block2.call).Then(block3.call).Then(bn1.call).Then(Relu).Then(GlobalAvgPool);
        return (fc.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var h = g.Module("block3", block3, g.Module("block2", block2, g.Module("block1", block1, g.Module("conv1", conv1, x))));
        var feature = g.GlobalAveragePool(g.Relu(g.Module("bn1", bn1, h)));
        return (g.Module("fc", fc, feature), feature);
    }

    /// <summary>mdistiller's <c>NetworkBlock</c>: only a Sequential named <c>layer</c>, kept for the state-dict keys.</summary>
    private sealed class NetworkBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential layer;

        public NetworkBlock(int count, long inPlanes, long outPlanes, long stride) : base("NetworkBlock")
        {
            layer = Seq([.. Enumerable.Range(0, count).Select(i => (nn.Module<Tensor, Tensor>)new Block(i == 0 ? inPlanes : outPlanes, outPlanes, i == 0 ? stride : 1))]);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => layer.call(x);

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x) => g.Module("layer", layer, x);
    }

    /// <summary>
    /// Pre-activation block. When input and output widths differ, the BN-ReLU'd input feeds both the
    /// 3×3 path and the 1×1 <c>convShortcut</c>; otherwise the raw input is the shortcut (as in mdistiller).
    /// </summary>
    private sealed class Block : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv2;
        private readonly Conv2d? convShortcut;

        public Block(long inPlanes, long outPlanes, long stride) : base("BasicBlock")
        {
            bn1 = BN(inPlanes);
            conv1 = Conv(inPlanes, outPlanes, 3, stride: stride, padding: 1);
            bn2 = BN(outPlanes);
            conv2 = Conv(outPlanes, outPlanes, 3, padding: 1);
            convShortcut = inPlanes == outPlanes ? null : Conv(inPlanes, outPlanes, 1, stride: stride);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var act = bn1.call(x).Then(Relu); // read twice: by conv1 and by the shortcut
            var o = ConvBn(conv1, bn2, act).Then(Relu).Then(conv2.call);
            using var projected = convShortcut?.call(act);
            return o.add_(projected ?? x);
        }

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var act = g.Relu(g.Module("bn1", bn1, x));
            var o = g.Relu(g.Module("bn2", bn2, g.Module("conv1", conv1, act)));
            o = g.Module("conv2", conv2, o);
            return g.Add(o, convShortcut is null ? x : g.Module("convShortcut", convShortcut, act));
        }
    }
}
