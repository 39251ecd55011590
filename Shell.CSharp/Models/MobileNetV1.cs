using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;

namespace LogitStd.Shell.Models;

/// <summary>
/// MobileNetV1 for ImageNet as mdistiller defines it (<c>models/imagenet/mobilenetv1.py</c>; the paper's
/// ImageNet "MobileNetV2" student): <c>model.0</c> a stride-2 3×3 conv-BN-ReLU to 32 channels, then
/// <c>model.1..13</c> depthwise-separable blocks (3×3 depthwise-BN-ReLU, 1×1-BN-ReLU) up to 1024
/// channels, global average pooling and <c>fc</c>. PyTorch's default initialisation, as mdistiller.
/// Pooling is adaptive rather than the fixed <c>AvgPool2d(7)</c>, which agrees at 224×224.
/// </summary>
public sealed class MobileNetV1 : Classifier, IOnnxClassifier
{
    private readonly Sequential model;
    private readonly Linear fc;

    /// <summary>Builds MobileNetV1 with a <paramref name="classes"/>-way head.</summary>
    public MobileNetV1(string name, int classes)
        : base(new ModelInfo(name, "MobileNetV1 (ImageNet)", DatasetKind.Imagefolder, classes, [3, 224, 224], 1024, "fc.weight"))
    {
        (long inC, long outC, long stride)[] separable =
        [
            (32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
            (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 1024, 2), (1024, 1024, 1),
        ];
        var stages = new List<nn.Module<Tensor, Tensor>> { Seq(Conv(3, 32, 3, stride: 2, padding: 1), BN(32), nn.ReLU()) };
        foreach (var (inC, outC, stride) in separable)
        {
            stages.Add(Seq(
                Conv(inC, inC, 3, stride: stride, padding: 1, groups: inC), BN(inC), nn.ReLU(),
                Conv(inC, outC, 1), BN(outC), nn.ReLU()));
        }
        model = Seq([.. stages]);
        fc = nn.Linear(1024, classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var feature = model.call(x).Then(GlobalAvgPool);
        return (fc.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var feature = g.GlobalAveragePool(g.Module("model", model, x));
        return (g.Module("fc", fc, feature), feature);
    }
}
