using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Export;
using TorchSharp.Modules;
using static LogitStd.Shell.Models.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LogitStd.Shell.Models;

/// <summary>
/// Fashion-MNIST (1×28×28) models of clearly different capacity, so that distillation has something to
/// transfer on a CPU: a wide CNN teacher (~1 M parameters, most of them in its hidden layer), a small
/// CNN student (~24 k) and an MLP student (~51 k, no convolutional prior). They are this project's
/// own (not from mdistiller) and use mdistiller's conventions: Kaiming fan-out convs, BN 1/0,
/// PyTorch-default linear layers.
/// </summary>
public static class FashionMnistNets
{
    private static readonly int[] InputShape = [1, 28, 28];

    /// <summary>Teacher: three conv-BN-ReLU stages (32/64/128 channels; max-pool after the first two and a 2×2 pool after the third), a 1152→768 hidden layer (the feature) and the head.</summary>
    public static Classifier WideCnn(string name, int classes) => new WideCnnNet(name, classes);

    /// <summary>Small CNN student: conv 16-32-64 with BN, global average pooling (the 64-d feature), linear head.</summary>
    public static Classifier SmallCnn(string name, int classes) => new SmallCnnNet(name, classes);

    /// <summary>MLP student: 784→64 ReLU (the feature) → K.</summary>
    public static Classifier Mlp(string name, int classes) => new MlpNet(name, classes);

    private sealed class WideCnnNet : Classifier, IOnnxClassifier
    {
        private const int Hidden = 768;
        private readonly Sequential features;
        private readonly Linear fc1;
        private readonly Linear fc2;

        public WideCnnNet(string name, int classes)
            : base(new ModelInfo(name, "CNN (Fashion-MNIST teacher)", DatasetKind.Fashion_Mnist, classes, InputShape, Hidden, "fc2.weight"))
        {
            features = Seq(
                Conv(1, 32, 3, padding: 1), BN(32), nn.ReLU(), nn.MaxPool2d(2),   // 28 → 14
                Conv(32, 64, 3, padding: 1), BN(64), nn.ReLU(), nn.MaxPool2d(2),  // 14 → 7
                Conv(64, 128, 3, padding: 1), BN(128), nn.ReLU(), nn.MaxPool2d(2)); // 7 → 3
            fc1 = nn.Linear(128 * 3 * 3, Hidden);
            fc2 = nn.Linear(Hidden, classes);
            RegisterComponents();
            Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm);
        }

        public override (Tensor Logits, Tensor Feature) forward(Tensor x)
        {
            var feature = features.call(x).Then(h => h.flatten(1)).Then(fc1.call).Then(Relu);
            return (fc2.call(feature), feature);
        }

        /// <inheritdoc />
        (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var feature = g.Relu(g.Module("fc1", fc1, g.Flatten(g.Module("features", features, x))));
            return (g.Module("fc2", fc2, feature), feature);
        }
    }

    private sealed class SmallCnnNet : Classifier, IOnnxClassifier
    {
        private readonly Sequential features;
        private readonly Linear fc;

        public SmallCnnNet(string name, int classes)
            : base(new ModelInfo(name, "CNN (Fashion-MNIST student)", DatasetKind.Fashion_Mnist, classes, InputShape, 64, "fc.weight"))
        {
            features = Seq(
                Conv(1, 16, 3, padding: 1), BN(16), nn.ReLU(), nn.MaxPool2d(2),   // 28 → 14
                Conv(16, 32, 3, padding: 1), BN(32), nn.ReLU(), nn.MaxPool2d(2),  // 14 → 7
                Conv(32, 64, 3, padding: 1), BN(64), nn.ReLU());
            fc = nn.Linear(64, classes);
            RegisterComponents();
            Init.Apply(this, conv: Init.ConvFanOut, bn: Init.BatchNorm);
        }

        public override (Tensor Logits, Tensor Feature) forward(Tensor x)
        {
            var feature = features.call(x).Then(GlobalAvgPool);
            return (fc.call(feature), feature);
        }

        /// <inheritdoc />
        (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var feature = g.GlobalAveragePool(g.Module("features", features, x));
            return (g.Module("fc", fc, feature), feature);
        }
    }

    private sealed class MlpNet : Classifier, IOnnxClassifier
    {
        private const int Hidden = 64;
        private readonly Linear fc1;
        private readonly Linear fc2;

        public MlpNet(string name, int classes)
            : base(new ModelInfo(name, "MLP (Fashion-MNIST student)", DatasetKind.Fashion_Mnist, classes, InputShape, Hidden, "fc2.weight"))
        {
            fc1 = nn.Linear(28 * 28, Hidden);
            fc2 = nn.Linear(Hidden, classes);
            RegisterComponents();
        }

        public override (Tensor Logits, Tensor Feature) forward(Tensor x)
        {
            var feature = x.flatten(1).Then(fc1.call).Then(Relu);
            return (fc2.call(feature), feature);
        }

        /// <inheritdoc />
        (OnnxValue Logits, OnnxValue Feature) IOnnxClassifier.ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
        {
            var feature = g.Relu(g.Module("fc1", fc1, g.Flatten(x)));
            return (g.Module("fc2", fc2, feature), feature);
        }
    }
}
