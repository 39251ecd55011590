using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// mdistiller's CIFAR ResNet (<c>models/cifar/resnet.py</c>): a 3×3 stem, three stages of n basic
/// blocks (depth = 6n + 2) with strides 1/2/2, a 1×1 conv + BN projection where the shape changes,
/// global average pooling (mdistiller's <c>AvgPool2d(8)</c> on 32×32 inputs) and a linear head <c>fc</c>.
/// resnet8…resnet110 use channels 16/16/32/64; the ×4 variants 32/64/128/256.
/// </summary>
public sealed class ResNetCifar : Classifier, IOnnxClassifier
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Linear fc;

    /// <summary>Builds resnet<paramref name="depth"/> with stem/stage widths <paramref name="filters"/> (4 values).</summary>
    public ResNetCifar(string name, int depth, IReadOnlyList<int> filters, int classes)
        : base(new ModelInfo(name, "ResNet (CIFAR)", DatasetKind.Cifar100, classes, [3, 32, 32], filters[3], "fc.weight"))
    {
        if ((depth - 2) % 6 != 0) throw new ArgumentException($"CIFAR ResNet depth must be 6n+2, got {depth}", nameof(depth));
        var n = (depth - 2) / 6;
        conv1 = Conv(3, filters[0], 3, padding: 1);
        bn1 = BN(filters[0]);
        var inplanes = (long)filters[0];
        layer1 = MakeLayer(ref inplanes, filters[1], n, 1);
        layer2 = MakeLayer(ref inplanes, filters[2], n, 2);
        layer3 = MakeLayer(ref inplanes, filters[3], n, 2);
        fc = nn.Linear(filters[3], classes);
        RegisterComponents();
        // mdistiller: kaiming_normal_(fan_out, relu) for convs, BN 1/0, the linear layer keeps PyTorch's default.
        Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm);
    }

    private static Sequential MakeLayer(ref long inplanes, long planes, int blocks, long stride)
    {
        var list = new List<nn.Module<Tensor, Tensor>>();
        Sequential? downsample = stride != 1 || inplanes != planes
            ? Seq(Conv(inplanes, planes, 1, stride: stride), BN(planes))
            : null;
        list.Add(new BasicBlock(inplanes, planes, stride, downsample));
        inplanes = planes;
        for (var i = 1; i < blocks; i++) list.Add(new BasicBlock(inplanes, planes, 1, null));
        return Seq([.. list]);
    }

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var feature = ConvBn(conv1, bn1, x).Then(Relu).Then(layer1.call).Then(layer2.call).Then(layer3.call).Then(GlobalAvgPool);
        return (fc.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var h = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
        h = g.Module("layer3", layer3, g.Module("layer2", layer2, g.Module("layer1", layer1, h)));
        var feature = g.GlobalAveragePool(h);
        return (g.Module("fc", fc, feature), feature);
    }
}
