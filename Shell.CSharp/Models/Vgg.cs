using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// mdistiller's VGG with batch norm (<c>models/cifar/vgg.py</c>, the <c>*_bn</c> constructors): five
/// blocks <c>block0..4</c> of conv3×3 (with bias)-BN-ReLU, the last ReLU of each block applied in
/// <c>forward</c>; 2×2 max-pooling after blocks 0–2 (and after block 3 only for 64×64 inputs, as in
/// mdistiller), adaptive average pooling and a 512→K <c>classifier</c>.
/// </summary>
public sealed class Vgg : Classifier, IOnnxClassifier
{
    private readonly Sequential block0;
    private readonly Sequential block1;
    private readonly Sequential block2;
    private readonly Sequential block3;
    private readonly Sequential block4;
    private readonly Linear classifier;

    /// <summary>mdistiller's configurations: per block, the conv widths.</summary>
    public static readonly IReadOnlyDictionary<string, int[][]> Configs = new Dictionary<string, int[][]>
    {
        ["vgg8"] = [[64], [128], [256], [512], [512]],
        ["vgg11"] = [[64], [128], [256, 256], [512, 512], [512, 512]],
        ["vgg13"] = [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
        ["vgg16"] = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
        ["vgg19"] = [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
    };

    /// <summary>Builds the VGG whose per-block conv widths are <paramref name="cfg"/>.</summary>
    public Vgg(string name, int[][] cfg, int classes)
        : base(new ModelInfo(name, "VGG-BN", DatasetKind.Cifar100, classes, [3, 32, 32], 512, "classifier.weight"))
    {
        block0 = MakeBlock(cfg[0], 3);
        block1 = MakeBlock(cfg[1], cfg[0][^1]);
        block2 = MakeBlock(cfg[2], cfg[1][^1]);
        block3 = MakeBlock(cfg[3], cfg[2][^1]);
        block4 = MakeBlock(cfg[4], cfg[3][^1]);
        classifier = nn.Linear(512, classes);
        RegisterComponents();
        // mdistiller: conv Normal(0, √(2/(k²·out))) with bias 0, BN 1/0, linear Normal(0, 0.01) with bias 0.
        Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm, linear: Init.LinearSmallNormal);
    }

    private static Sequential MakeBlock(int[] widths, long inC)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        foreach (var w in widths)
        {
            layers.Add(Conv(inC, w, 3, padding: 1, bias: true));
            layers.Add(BN(w));
            layers.Add(nn.ReLU());
            inC = w;
        }
        // mdistiller drops each block's last ReLU (forward applies it, keeping the pre-activation).
        layers.RemoveAt(layers.Count - 1);
        return Seq([.. layers]);
    }

    private static Tensor Pool(Tensor x) => F.max_pool2d(x, kernel_size: 2, stride: 2);

    /// <inheritdoc />
    public override (Tensor Logits, Tensor Feature) forward(Tensor x)
    {
        var height = x.shape[2];
        var h = block0.call(x).Then(Relu).Then(Pool).Then(block1.call).Then(Relu).Then(Pool)
            .Then(block2.call).Then(Relu).Then(Pool).Then(block3.call).Then(Relu);
        if (height == 64) h = h.Then(Pool);
        var feature = h.Then(block4.call).Then(Relu).Then(GlobalAvgPool);
        return (classifier.call(feature), feature);
    }

    /// <inheritdoc />
    (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        OnnxValue Pool(OnnxValue v) => g.MaxPool(v, kernel: 2, stride: 2);
        var height = x.Shape[1];
        var h = Pool(g.Relu(g.Module("block0", block0, x)));
        h = Pool(g.Relu(g.Module("block1", block1, h)));
        h = Pool(g.Relu(g.Module("block2", block2, h)));
        h = g.Relu(g.Module("block3", block3, h));
        if (height == 64) h = Pool(h);
        h = g.Relu(g.Module("block4", block4, h));
        var feature = g.GlobalAveragePool(h);
        return (g.Module("classifier", classifier, feature), feature);
    }
}
