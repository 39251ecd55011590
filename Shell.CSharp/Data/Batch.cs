using TorchSharp;

namespace LogitStd.Shell.Data;

/// <summary>
/// One mini-batch: <see cref="Images"/> float32 <c>[N, C, H, W]</c>, <see cref="Labels"/> int64
/// <c>[N]</c> and, when the loader was given a strong transform, MLKD's <see cref="StrongImages"/>
/// of the same images. The tensors are fresh CPU tensors the batch owns; dispose the batch (or let
/// an enclosing dispose scope do it) once the step is done.
/// </summary>
public sealed class Batch : IDisposable
{
    internal Batch(int number, int[] indices, torch.Tensor images, torch.Tensor labels, torch.Tensor? strongImages, int[]? views)
    {
        Views = views;
        Number = number;
        Indices = indices;
        Images = images;
        Labels = labels;
        StrongImages = strongImages;
    }

    /// <summary>Position of the batch in its epoch, from 0.</summary>
    public int Number { get; }

    /// <summary>Number of images (the batch size, or fewer for the last batch).</summary>
    public int Count => Indices.Count;

    /// <summary>Dataset indices of the images, in batch order.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Which view of each image the (weak-view) transform drew, in batch order, when it is an
    /// <see cref="IViewTransform"/> (crop + flip); otherwise <c>null</c>.</summary>
    public IReadOnlyList<int>? Views { get; }

    /// <summary>The (weak-view) images, float32 <c>[N, C, H, W]</c>, normalised.</summary>
    public torch.Tensor Images { get; }

    /// <summary>The labels, int64 <c>[N]</c>.</summary>
    public torch.Tensor Labels { get; }

    /// <summary>The strong view (MLKD), float32 <c>[N, C, H, W]</c>, or <c>null</c> when the loader has no strong transform.</summary>
    public torch.Tensor? StrongImages { get; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        StrongImages?.Dispose();
    }
}
