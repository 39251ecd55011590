using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Models;

/// <summary>What the data side must know about a model: its name, head size and input geometry.</summary>
/// <param name="Name">The canonical zoo name (mdistiller's spelling, e.g. <c>resnet8x4</c>).</param>
/// <param name="Family">The architecture family (e.g. <c>ResNet (CIFAR)</c>), for listings.</param>
/// <param name="Dataset">The dataset the architecture is laid out for, in the one vocabulary of datasets (<c>Domain.DatasetKind</c>):
/// CIFAR-100, an image folder (ImageNet) or Fashion-MNIST.</param>
/// <param name="Classes">Size of the classifier head, i.e. the number of logits.</param>
/// <param name="InputShape">Expected input as (channels, height, width), without the batch dimension.</param>
/// <param name="FeatureDim">Length of the pooled penultimate feature returned beside the logits.</param>
/// <param name="HeadWeight">State-dict key of the classifier's weight matrix (rows = classes).</param>
public sealed record ModelInfo(
    string Name,
    string Family,
    LogitStd.Core.Domain.DatasetKind Dataset,
    int Classes,
    IReadOnlyList<int> InputShape,
    int FeatureDim,
    string HeadWeight);

/// <summary>
/// A classifier of the zoo. <c>forward</c> maps a batch (N, C, H, W) to its logits (N, K) and its
/// pooled penultimate feature (N, D): the figures need both, and mdistiller's models return both
/// (as <c>feats["pooled_feat"]</c>).
/// </summary>
/// <remarks>
/// Submodules are fields registered by name, so <see cref="nn.Module.state_dict"/> keys equal the
/// PyTorch ones and mdistiller checkpoints load by name. <c>forward</c> disposes each intermediate
/// tensor once the next operation has consumed it (<see cref="Layers.Then"/>; autograd keeps what it
/// saved), so only the logits and the feature reach the caller; call it inside a
/// <c>torch.NewDisposeScope()</c>, which owns those two.
/// </remarks>
public abstract class Classifier : nn.Module<Tensor, (Tensor Logits, Tensor Feature)>
{
    /// <summary>Creates the module; derived classes register their components and initialise weights.</summary>
    protected Classifier(ModelInfo info) : base(info.Name)
    {
        Info = info;
    }

    /// <summary>Name, class count, input shape, feature size and head key of this model.</summary>
    public ModelInfo Info { get; }

    /// <summary>Number of trainable parameters (buffers such as BN running statistics excluded), as <c>sum(p.numel() for p in model.parameters())</c>.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Runs the model (through <c>call</c>, so registered hooks run) and returns the logits and the pooled penultimate feature.</summary>
    public (Tensor Logits, Tensor Feature) Forward(Tensor input) => call(input);

    /// <summary>
    /// The forward for inference — the caller has set eval mode and no-grad or inference mode (the
    /// frozen teacher, the teacher cache, evaluation) — on <paramref name="input"/> laid out
    /// channels-last (<see cref="MemoryFormat"/>): the same logits as <see cref="Forward"/> to float32
    /// rounding, faster on the CPU. The channels-last copy of the input is freed before returning.
    /// </summary>
    public (Tensor Logits, Tensor Feature) Infer(Tensor input)
    {
        var x = MemoryFormat.ToChannelsLast(input);
        try
        {
            return call(x);
        }
        finally
        {
            if (!ReferenceEquals(x, input)) x.Dispose();
        }
    }
}
