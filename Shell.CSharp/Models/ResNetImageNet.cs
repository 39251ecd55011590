using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// ImageNet ResNet in torchvision's layout (the keys of torchvision's and mdistiller's
/// <c>models/imagenet/resnet.py</c> checkpoints): 7×7 stride-2 stem, 3×3 stride-2 max-pool, four stages
/// of basic (ResNet18/34) or bottleneck (ResNet50) blocks with a 1×1 conv + BN <c>downsample</c>,
/// global average pooling and <c>fc</c>. mdistiller applies each block's final ReLU at the start of the
/// next block (to expose pre-activations); the logits are the same, so the usual order is used here.
/// Global pooling is adaptive (torchvision) rather than mdistiller's fixed <c>AvgPool2d(7)</c>, which
/// agrees at 224×224 and also accepts small test inputs.
/// </summary>
public sealed class ResNetImageNet : Classifier, IOnnxClassifier
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;

    /// <summary>Builds the network with <paramref name="blocks"/> blocks per stage; <paramref name="bottleneck"/> picks the block type.</summary>
    public ResNetImageNet(string name, IReadOnlyList<int> blocks, bool bottleneck, int classes)
        : base(new ModelInfo(name, "ResNet (ImageNet)", DatasetKind.Imagefolder, classes, [3, 224, 224], 512 * (bottleneck ? 4 : 1), "fc.weight"))
    {
        var expansion = bottleneck ? 4 : 1;
        conv1 = Conv(3, 64, 7, stride: 2, padding: 3);
        bn1 = BN(64);
        long inPlanes = 64;
        layer1 = MakeLayer(ref inPlanes, 64, blocks[0], 1, bottleneck, expansion);
        layer2 = MakeLayer(ref inPlanes, 128, blocks[1], 2, bottleneck, expansion);
        layer3 = MakeLayer(ref inPlanes, 256, blocks[2], 2, bottleneck, expansion);
        layer4 = MakeLayer(ref inPlanes, 512, blocks[3], 2, bottleneck, expansion);
        fc = nn.Linear(512 * expansion, classes);
        RegisterComponents();
        // mdistiller (imagenet/resnet.py): conv Normal(0, √(2/(k²·out))), BN 1/0, linear default.
        Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm);
    }

    private static Sequential MakeLayer(ref long inPlanes, long planes, int blocks, long stride, bool bottleneck, int expansion)
    {
        var outPlanes = planes * expansion;
        Sequential? downsample = stride != 1 || inPlanes != outPlanes
            ? Seq(Conv(inPlanes, outPlanes, 1, stride: stride), BN(outPlanes))
            : null;
        var list = new List<nn.Module<Tensor, Tensor>>();
        for (var i = 0; i < blocks; i++)
        {
            list.Add(bottleneck
                ? new Bottleneck(inPlanes, planes, i == 0 ? stride : 1, i == 0 ? downsample : null)
                : new BasicBlock(inPlanes, planes, i == 0 ? stride : 1, i == 0 ? downsample : null));
            inPlanes = outPlanes;
        }
        return Seq([.. list]);
    }

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var feature = ConvBn(conv1, bn1, x).Then(Relu).Then(h => F.max_pool2d(h, kernel_size: 3, stride: 2, padding: 1))
            .Then(layer1.call).Then(layer2.call).Then(layer3.call).Then(layer4.call).Then(GlobalAvgPool);
        return (fc.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var h = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
        h = g.MaxPool(h, kernel: 3, stride: 2, padding: 1);
        h = g.Module("layer4", layer4, g.Module("layer3", layer3, g.Module("layer2", layer2, g.Module("layer1", layer1, h))));
        var feature = g.GlobalAveragePool(h);
        return (g.Module("fc", fc, feature), feature);
    }

    private sealed class Bottleneck : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly Sequential? downsample;

        public Bottleneck(long inPlanes, long planes, long stride, Sequential? downsample) : base("Bottleneck")
        {
            conv1 = Conv(inPlanes, planes, 1);
            bn1 = BN(planes);
            conv2 = Conv(planes, planes, 3, stride: stride, padding: 1);
            bn2 = BN(planes);
            conv3 = Conv(planes, planes * 4, 1);
            bn3 = BN(planes * 4);
            this.downsample = downsample;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var o = ConvBn(conv1, bn1, x).Then(Relu).Then(h => ConvBn(conv2, bn2, h)).Then(Relu).Then(h => ConvBn(conv3, bn3, h));
            using var projected = downsample?.call(x);
            return o.add_(projected ?? x).Then(Relu);
        }

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var o = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
            o = g.Relu(g.Module("bn2", bn2, g.Module("conv2", conv2, o)));
            o = g.Module("bn3", bn3, g.Module("conv3", conv3, o));
            return g.Relu(g.Add(o, downsample is null ? x : g.Module("downsample", downsample, x)));
        }
    }
}
