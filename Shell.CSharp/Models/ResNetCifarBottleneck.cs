using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// mdistiller's <c>ResNet50</c> for CIFAR (<c>models/cifar/resnetv2.py</c>): a 3×3 stem of 64
/// channels without max-pooling, four stages of bottleneck blocks [3, 4, 6, 3] (expansion 4, strides
/// 1/2/2/2), a 1×1 conv + BN <c>shortcut</c> where the shape changes, global average pooling and a
/// linear head named <c>linear</c>.
/// </summary>
public sealed class ResNetCifarBottleneck : Classifier, IOnnxClassifier
{
    private const int Expansion = 4;
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear linear;

    /// <summary>Builds the bottleneck ResNet with <paramref name="blocks"/> blocks per stage (4 values).</summary>
    public ResNetCifarBottleneck(string name, IReadOnlyList<int> blocks, int classes)
        : base(new ModelInfo(name, "ResNet-bottleneck (CIFAR)", DatasetKind.Cifar100, classes, [3, 32, 32], 512 * Expansion, "linear.weight"))
    {
        conv1 = Conv(3, 64, 3, padding: 1);
        bn1 = BN(64);
        long inPlanes = 64;
        layer1 = MakeLayer(ref inPlanes, 64, blocks[0], 1);
        layer2 = MakeLayer(ref inPlanes, 128, blocks[1], 2);
        layer3 = MakeLayer(ref inPlanes, 256, blocks[2], 2);
        layer4 = MakeLayer(ref inPlanes, 512, blocks[3], 2);
        linear = nn.Linear(512 * Expansion, classes);
        RegisterComponents();
        // mdistiller: kaiming_normal_(fan_out, relu) for convs, BN 1/0; zero_init_residual is off by default.
        Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm);
    }

    private static Sequential MakeLayer(ref long inPlanes, long planes, int blocks, long stride)
    {
        var list = new List<nn.Module<Tensor, Tensor>>();
        for (var i = 0; i < blocks; i++)
        {
            list.Add(new Bottleneck(inPlanes, planes, i == 0 ? stride : 1));
            inPlanes = planes * Expansion;
        }
        return Seq([.. list]);
    }

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var feature = ConvBn(conv1, bn1, x).Then(Relu).Then(layer1.call).Then(layer2.call).Then(layer3.call).Then(layer4.call).Then(GlobalAvgPool);
        return (linear.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var h = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
        h = g.Module("layer4", layer4, g.Module("layer3", layer3, g.Module("layer2", layer2, g.Module("layer1", layer1, h))));
        var feature = g.GlobalAveragePool(h);
        return (g.Module("linear", linear, feature), feature);
    }

    /// <summary>1×1 reduce, 3×3 (strided), 1×1 expand ×4, each with BN; ReLU after the sum.</summary>
    private sealed class Bottleneck : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly Sequential shortcut;

        public Bottleneck(long inPlanes, long planes, long stride) : base("Bottleneck")
        {
            conv1 = Conv(inPlanes, planes, 1);
            bn1 = BN(planes);
            conv2 = Conv(planes, planes, 3, stride: stride, padding: 1);
            bn2 = BN(planes);
            conv3 = Conv(planes, planes * Expansion, 1);
            bn3 = BN(planes * Expansion);
            // An empty Sequential is the identity and has no state-dict entries, as in PyTorch.
            shortcut = stride != 1 || inPlanes != planes * Expansion
                ? Seq(Conv(inPlanes, planes * Expansion, 1, stride: stride), BN(planes * Expansion))
                : Seq();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var o = ConvBn(conv1, bn1, x).Then(Relu).Then(h => ConvBn(conv2, bn2, h)).Then(Relu).Then(h => ConvBn(conv3, bn3, h));
            using var projected = shortcut.call(x); // an empty Sequential returns a new handle (an alias) of x
            return o.add_(projected).Then(Relu);
        }

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var o = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
            o = g.Relu(g.Module("bn2", bn2, g.Module("conv2", conv2, o)));
            o = g.Module("bn3", bn3, g.Module("conv3", conv3, o));
            // An empty Sequential passes its input through, as in forward.
            return g.Relu(g.Add(o, g.Module("shortcut", shortcut, x)));
        }
    }
}
