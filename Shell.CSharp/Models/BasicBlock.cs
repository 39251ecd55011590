using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// The ResNet basic block shared by mdistiller's CIFAR ResNets and torchvision's ResNet18/34:
/// conv3×3-BN-ReLU-conv3×3-BN, plus the (projected) input, then ReLU. Field names are the state-dict
/// keys of both (<c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>downsample</c>).
/// </summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public BasicBlock(long inPlanes, long planes, long stride, Sequential? downsample) : base("BasicBlock")
    {
        conv1 = Conv(inPlanes, planes, 3, stride: stride, padding: 1);
        bn1 = BN(planes);
        conv2 = Conv(planes, planes, 3, padding: 1);
        bn2 = BN(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var o = ConvBn(conv1, bn1, x).Then(Relu).Then(h => ConvBn(conv2, bn2, h));
        using var projected = downsample?.call(x);
        return o.add_(projected ?? x).Then(Relu);
    }

    OnnxValue IOnnxExportable.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var o = g.Relu(g.Module("bn1", bn1, g.Module("conv1", conv1, x)));
        o = g.Module("bn2", bn2, g.Module("conv2", conv2, o));
        return g.Relu(g.Add(o, downsample is null ? x : g.Module("downsample", downsample, x)));
    }
}
