using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// mdistiller's ShuffleV1 (<c>models/cifar/ShuffleNetv1.py</c>): a 1×1 stem of 24 channels, three
/// stages (240/480/960 channels, 4/8/4 blocks, groups 3) of grouped bottlenecks with channel shuffle;
/// the first block of each stage has stride 2 and concatenates a 3×3 average-pooled shortcut. Global
/// average pooling (mdistiller's <c>avg_pool2d(4)</c> on the 4×4 map) and a linear head <c>linear</c>.
/// mdistiller leaves PyTorch's default initialisation in place, and so does this class.
/// </summary>
public sealed class ShuffleNetV1 : Classifier, IOnnxClassifier
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Linear linear;

    /// <summary>Builds ShuffleNetV1 with stage widths <paramref name="outPlanes"/>, block counts <paramref name="blocks"/> and <paramref name="groups"/>.</summary>
    public ShuffleNetV1(string name, IReadOnlyList<int> outPlanes, IReadOnlyList<int> blocks, int groups, int classes)
        : base(new ModelInfo(name, "ShuffleNetV1", DatasetKind.Cifar100, classes, [3, 32, 32], outPlanes[2], "linear.weight"))
    {
        conv1 = Conv(3, 24, 1);
        bn1 = BN(24);
        long inPlanes = 24;
        layer1 = MakeLayer(ref inPlanes, outPlanes[0], blocks[0], groups);
        layer2 = MakeLayer(ref inPlanes, outPlanes[1], blocks[1], groups);
        layer3 = MakeLayer(ref inPlanes, outPlanes[2], blocks[2], groups);
        linear = nn.Linear(outPlanes[2], classes);
        RegisterComponents();
    }

    private static Sequential MakeLayer(ref long inPlanes, long outPlanes, int blocks, int groups)
    {
        var list = new List<nn.Module<Tensor, Tensor>>();
        for (var i = 0; i < blocks; i++)
        {
            // The stride-2 block concatenates its input, so its own branch makes only the difference.
            var catPlanes = i == 0 ? inPlanes : 0;
            list.Add(new Bottleneck(inPlanes, outPlanes - catPlanes, i == 0 ? 2 : 1, groups));
            inPlanes = outPlanes;
        }
        return Seq([.. list]);
    }

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var feature = ConvBn(conv1, bn1, x).Then(Relu).Then(layer1.call).Then(layer2.call).Then(layer3.call).Then(GlobalAvgPool);
        return (linear.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var h = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
        h = g.Module("layer3", layer3, g.Module("layer2", layer2, g.Module("layer1", layer1, h)));
        var feature = g.GlobalAveragePool(h);
        return (g.Module("linear", linear, feature), feature);
    }

    private sealed class Bottleneck : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly long stride;
        private readonly long shuffleGroups;

        public Bottleneck(long inPlanes, long outPlanes, long stride, int groups) : base("Bottleneck")
        {
            this.stride = stride;
            var mid = outPlanes / 4;
            // The first 1×1 conv of the network (input 24 channels) is not grouped, as in the paper and mdistiller.
            shuffleGroups = inPlanes == 24 ? 1 : groups;
            conv1 = Conv(inPlanes, mid, 1, groups: shuffleGroups);
            bn1 = BN(mid);
            conv2 = Conv(mid, mid, 3, stride: stride, padding: 1, groups: mid);
            bn2 = BN(mid);
            conv3 = Conv(mid, outPlanes, 1, groups: groups);
            bn3 = BN(outPlanes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var o = ConvBn(conv1, bn1, x).Then(Relu).Then(h => ChannelShuffle(h, shuffleGroups))
                .Then(h => ConvBn(conv2, bn2, h)).Then(Relu).Then(h => ConvBn(conv3, bn3, h));
            if (stride == 2)
            {
                using var res = F.avg_pool2d(x, kernel_size: 3, stride: 2, padding: 1, ceil_mode: false, count_include_pad: true);
                return o.Then(h => cat([h, res], 1)).Then(Relu);
            }
            return o.add_(x).Then(Relu);
        }

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var o = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
            o = g.ChannelShuffle(o, shuffleGroups);
            o = g.Relu(g.Module("bn2", bn2, g.Module("conv2", conv2, o)));
            o = g.Module("bn3", bn3, g.Module("conv3", conv3, o));
            if (stride == 2)
                return g.Relu(g.Concat(o, g.AveragePool(x, kernel: 3, stride: 2, padding: 1, countIncludePad: true)));
            return g.Relu(g.Add(o, x));
        }
    }
}
