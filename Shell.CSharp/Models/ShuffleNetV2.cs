using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// mdistiller's ShuffleV2 (<c>models/cifar/ShuffleNetv2.py</c>, net size 1): a 1×1 stem of 24 channels,
/// three stages (116/232/464 channels) each made of a stride-2 <c>DownBlock</c> and 3/7/3 basic blocks
/// (channel split in halves, shuffle with 2 groups), a 1×1 <c>conv2</c> to 1024 channels with BN-ReLU,
/// global average pooling and a linear head <c>linear</c>. PyTorch's default initialisation, as mdistiller.
/// </summary>
public sealed class ShuffleNetV2 : Classifier, IOnnxClassifier
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Linear linear;

    /// <summary>Builds ShuffleNetV2 with stage widths and head width <paramref name="outChannels"/> (4 values) and <paramref name="blocks"/> per stage.</summary>
    public ShuffleNetV2(string name, IReadOnlyList<int> outChannels, IReadOnlyList<int> blocks, int classes)
        : base(new ModelInfo(name, "ShuffleNetV2", DatasetKind.Cifar100, classes, [3, 32, 32], outChannels[3], "linear.weight"))
    {
        conv1 = Conv(3, 24, 1);
        bn1 = BN(24);
        long inC = 24;
        layer1 = MakeLayer(ref inC, outChannels[0], blocks[0]);
        layer2 = MakeLayer(ref inC, outChannels[1], blocks[1]);
        layer3 = MakeLayer(ref inC, outChannels[2], blocks[2]);
        conv2 = Conv(outChannels[2], outChannels[3], 1);
        bn2 = BN(outChannels[3]);
        linear = nn.Linear(outChannels[3], classes);
        RegisterComponents();
    }

    private static Sequential MakeLayer(ref long inC, long outC, int blocks)
    {
        var list = new List<nn.Module<Tensor, Tensor>> { new DownBlock(inC, outC) };
        for (var i = 0; i < blocks; i++) list.Add(new BasicBlock(outC));
        inC = outC;
        return Seq([.. list]);
    }

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var feature = ConvBn(conv1, bn1, x).Then(Relu).Then(layer1.call).Then(layer2.call).Then(layer3.call)
            .Then(h => ConvBn(conv2, bn2, h)).Then(Relu).Then(GlobalAvgPool);
        return (linear.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var h = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
        h = g.Module("layer3", layer3, g.Module("layer2", layer2, g.Module("layer1", layer1, h)));
        var feature = g.GlobalAveragePool(g.Relu(g.Module("bn2", bn2, g.Module("conv2", conv2, h))));
        return (g.Module("linear", linear, feature), feature);
    }

    /// <summary>Keeps the first half of the channels, transforms the second (1×1, depthwise 3×3, 1×1), concatenates, shuffles.</summary>
    private sealed class BasicBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly long half;

        public BasicBlock(long channels) : base("BasicBlock")
        {
            half = channels / 2;
            conv1 = Conv(half, half, 1);
            bn1 = BN(half);
            conv2 = Conv(half, half, 3, padding: 1, groups: half);
            bn2 = BN(half);
            conv3 = Conv(half, half, 1);
            bn3 = BN(half);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var x1 = x.narrow(1, 0, half);
            var o = x.narrow(1, half, x.shape[1] - half).Then(x2 => ConvBn(conv1, bn1, x2)).Then(Relu)
                .Then(h => ConvBn(conv2, bn2, h)).Then(h => ConvBn(conv3, bn3, h)).Then(Relu);
            return o.Then(h => cat([x1, h], 1)).Then(h => ChannelShuffle(h, 2));
        }

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var x1 = g.SliceChannels(x, 0, half);
            var x2 = g.SliceChannels(x, half, x.Channels - half);
            var o = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x2)));
            o = g.Module("bn2", bn2, g.Module("conv2", conv2, o));
            o = g.Relu(g.Module("bn3", bn3, g.Module("conv3", conv3, o)));
            return g.ChannelShuffle(g.Concat(x1, o), 2);
        }
    }

    /// <summary>Two stride-2 branches (depthwise-then-1×1 on the left, 1×1-depthwise-1×1 on the right), concatenated and shuffled.</summary>
    private sealed class DownBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly Conv2d conv4;
        private readonly BatchNorm2d bn4;
        private readonly Conv2d conv5;
        private readonly BatchNorm2d bn5;

        public DownBlock(long inC, long outC) : base("DownBlock")
        {
            var mid = outC / 2;
            conv1 = Conv(inC, inC, 3, stride: 2, padding: 1, groups: inC);
            bn1 = BN(inC);
            conv2 = Conv(inC, mid, 1);
            bn2 = BN(mid);
            conv3 = Conv(inC, mid, 1);
            bn3 = BN(mid);
            conv4 = Conv(mid, mid, 3, stride: 2, padding: 1, groups: mid);
            bn4 = BN(mid);
            conv5 = Conv(mid, mid, 1);
            bn5 = BN(mid);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var left = ConvBn(conv1, bn1, x).Then(h => ConvBn(conv2, bn2, h)).Then(Relu);
            using var right = ConvBn(conv3, bn3, x).Then(Relu).Then(h => ConvBn(conv4, bn4, h)).Then(h => ConvBn(conv5, bn5, h)).Then(Relu);
            return cat([left, right], 1).Then(h => ChannelShuffle(h, 2));
        }

        OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var left = g.Module("bn1", bn1, g.Module("conv1", conv1, x));
            left = g.Relu(g.Module("bn2", bn2, g.Module("conv2", conv2, left)));
            var right = g.Relu(g.Module("bn3", bn3, g.Module("conv3", conv3, x)));
            right = g.Module("bn4", bn4, g.Module("conv4", conv4, right));
            right = g.Relu(g.Module("bn5", bn5, g.Module("conv5", conv5, right)));
            return g.ChannelShuffle(g.Concat(left, right), 2);
        }
    }
}
