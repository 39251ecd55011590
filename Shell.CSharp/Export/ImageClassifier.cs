using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using static TorchSharp.torch;

namespace LogitStd.Shell.Export;

/// <summary>
/// What <c>logitstd predict</c> runs: an exported ONNX file (ONNX Runtime) or a checkpoint (TorchSharp),
/// with the geometry, class names and evaluation transform of the model's dataset — the transform
/// <c>eval</c> uses (normalisation only; ImageNet: resize 256, centre crop 224).
/// </summary>
public abstract class ImageClassifier : IDisposable
{
    /// <summary>The model's zoo name.</summary>
    public abstract string Name { get; }

    /// <summary>The dataset the model is laid out for.</summary>
    public abstract LogitStd.Core.Domain.DatasetKind Dataset { get; }

    /// <summary>(C, H, W) of one input image.</summary>
    public abstract IReadOnlyList<int> InputShape { get; }

    /// <summary>One name per logit.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>The normalisation of the model's dataset.</summary>
    public abstract Normalization Normalization { get; }

    /// <summary>Logits (row-major count × K) of a normalised batch (row-major count × C × H × W).</summary>
    public abstract float[] Logits(float[] batch, int count);

    /// <summary>Whether images of any size are accepted (resized and centre-cropped, as ImageNet evaluation does).</summary>
    public bool Resizes => Core.Experiments.Dataset(Dataset) == Core.DatasetId.ImageFolder;

    /// <summary>The evaluation transform for this model's input.</summary>
    public IImageTransform Transform() => Resizes
        ? ResizedCropTransform.Evaluation(resize: 256 * InputShape[1] / 224, size: InputShape[1], Normalization)
        : new CropFlipTransform(InputShape[0], InputShape[1], InputShape[2], padding: 0, flipProbability: 0, Normalization);

    /// <inheritdoc />
    public abstract void Dispose();

    /// <summary>Opens an ONNX file exported by <c>logitstd export</c>.</summary>
    public static ImageClassifier FromOnnx(string path, int threads) => new Onnx(OnnxClassifierSession.Open(path, threads));

    /// <summary>Loads a checkpoint into zoo model <paramref name="model"/>, refusing one that does not fit (as <c>eval</c> does).</summary>
    public static ImageClassifier FromCheckpoint(string model, string weights)
    {
        var entry = ModelZoo.Describe(model);
        var classes = Checkpoints.ReadClassCount(weights) ?? entry.NativeClasses;
        return new Torch(Checkpoints.LoadForEvaluation(entry.Name, weights, classes));
    }

    private sealed class Onnx(OnnxClassifierSession session) : ImageClassifier
    {
        public override string Name => session.Model;
        public override LogitStd.Core.Domain.DatasetKind Dataset => session.Dataset;
        public override IReadOnlyList<int> InputShape => session.InputShape;
        public override IReadOnlyList<string> ClassNames => session.ClassNames;
        public override Normalization Normalization => session.Normalization;
        public override float[] Logits(float[] batch, int count) => session.Run(batch, count);
        public override void Dispose() => session.Dispose();
    }

    private sealed class Torch(Classifier model) : ImageClassifier
    {
        public override string Name => model.Info.Name;
        public override LogitStd.Core.Domain.DatasetKind Dataset => model.Info.Dataset;
        public override IReadOnlyList<int> InputShape => model.Info.InputShape;
        public override IReadOnlyList<string> ClassNames { get; } = Data.ClassNames.For(model.Info.Dataset, model.Info.Classes);
        public override Normalization Normalization => Normalization.For(model.Info.Dataset);

        public override float[] Logits(float[] batch, int count)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = tensor(batch, [count, .. InputShape.Select(d => (long)d)]);
            return model.Infer(x).Logits.contiguous().data<float>().ToArray();
        }

        public override void Dispose() => model.Dispose();
    }
}
