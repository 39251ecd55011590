using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;

namespace LogitStd.Shell.Models;

/// <summary>
/// mdistiller's CIFAR MobileNetV2 (<c>models/cifar/mobilenetv2.py</c>, <c>mobile_half</c> = expansion 6,
/// width 0.5): a stride-2 3×3 stem <c>conv1</c>, seven stages in <c>blocks</c> of inverted residuals
/// (each a Sequential <c>conv</c>: 1×1 expand-BN-ReLU, 3×3 depthwise-BN-ReLU, 1×1 project-BN; note that
/// mdistiller keeps the expand conv even when t = 1), a 1×1 head <c>conv2</c> to 1280 channels (not
/// scaled for width ≤ 1), global average pooling and <c>classifier.0</c>.
/// </summary>
public sealed class MobileNetV2 : Classifier, IOnnxClassifier
{
    private readonly Sequential conv1;
    private readonly ModuleList<Sequential> blocks;
    private readonly Sequential conv2;
    private readonly Sequential classifier;

    /// <summary>Builds MobileNetV2 with expansion <paramref name="expansion"/> and width multiplier <paramref name="width"/>.</summary>
    public MobileNetV2(string name, int expansion, double width, int classes)
        : base(new ModelInfo(name, "MobileNetV2 (CIFAR)", DatasetKind.Cifar100, classes, [3, 32, 32], LastChannel(width), "classifier.0.weight"))
    {
        // (expansion t, channels c, repeats n, first stride s) per stage, as mdistiller's table.
        (int t, int c, int n, int s)[] settings =
        [
            (1, 16, 1, 1), (expansion, 24, 2, 1), (expansion, 32, 3, 2), (expansion, 64, 4, 2),
            (expansion, 96, 3, 1), (expansion, 160, 3, 2), (expansion, 320, 1, 1),
        ];
        var inC = (long)(int)(32 * width);
        conv1 = Seq(Conv(3, inC, 3, stride: 2, padding: 1), BN(inC), nn.ReLU());
        blocks = new ModuleList<Sequential>();
        foreach (var (t, c, n, s) in settings)
        {
            var outC = (long)(int)(c * width);
            var stage = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < n; i++)
            {
                stage.Add(new InvertedResidual(inC, outC, i == 0 ? s : 1, t));
                inC = outC;
            }
            blocks.Add(Seq([.. stage]));
        }
        var last = LastChannel(width);
        conv2 = Seq(Conv(inC, last, 1), BN(last), nn.ReLU());
        classifier = Seq(nn.Linear(last, classes));
        RegisterComponents();
        // mdistiller: conv Normal(0, √(2/(k²·out))), BN 1/0, linear Normal(0, 0.01) with bias 0.
        Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm, linear: Init.LinearSmallNormal);
    }

    private static int LastChannel(double width) => width > 1.0 ? (int)(1280 * width) : 1280;

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var h = conv1.call(x);
        foreach (var stage in blocks) h = h.Then(stage.call);
        // mdistiller pools with AvgPool2d(2, ceil_mode=True) on the 2×2 map of a 32×32 input: a global mean.
        var feature = h.Then(conv2.call).Then(GlobalAvgPool);
        return (classifier.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var h = g.Module("conv1", conv1, x);
        var i = 0;
        foreach (var stage in blocks) h = g.Module($"blocks.{i++}", stage, h);
        var feature = g.GlobalAveragePool(g.Module("conv2", conv2, h));
        return (g.Module("classifier", classifier, feature), feature);
    }

    /// <summary>Inverted residual; the identity is added when the stride is 1 and the width is unchanged.</summary>
    private sealed class InvertedResidual : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential conv;
        private readonly bool useResidual;

        public InvertedResidual(long inC, long outC, long stride, int expansion) : base("InvertedResidual")
        {
            var hidden = inC * expansion;
            useResidual = stride == 1 && inC == outC;
            conv = Seq(
                Conv(inC, hidden, 1), BN(hidden), nn.ReLU(),
                Conv(hidden, hidden, 3, stride: stride, padding: 1, groups: hidden), BN(hidden), nn.ReLU(),
                Conv(hidden, outC, 1), BN(outC));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => useResidual ? conv.call(x).Then(c => x + c) : conv.call(x);

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x) =>
            useResidual ? g.Add(x, g.Module("conv", conv, x)) : g.Module("conv", conv, x);
    }
}
