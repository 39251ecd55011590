using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace LogitStd.Shell.Data;

/// <summary>
/// Turns a dataset into mini-batches, one epoch at a time, preparing the next batches on background
/// threads while the model trains on the current one.
/// <para>
/// Determinism: the epoch's order is a Fisher–Yates shuffle seeded from (seed, epoch), and every
/// sample's augmentation is seeded from (seed, epoch, dataset index, view); a batch is a pure
/// function of those, so the same seed gives the same batches bit for bit for any number of workers.
/// </para>
/// <para>
/// Memory: at most <see cref="Prefetch"/> batches exist as float arrays at a time (one slot per
/// batch in flight); workers wait for a free slot, so a slow consumer never makes them run ahead.
/// Tensors are created on the consumer's thread by copying a slot, which then goes back to the workers.
/// </para>
/// </summary>
public sealed partial class DataLoader : IDisposable
{
    readonly object gate = new();
    readonly HashSet<EpochRun> running = [];
    bool disposed;

    /// <summary>
    /// Creates a loader. <paramref name="workers"/> background threads prepare batches (0: prepare each
    /// batch on the caller's thread when it is requested); <paramref name="prefetch"/> bounds the batches
    /// in flight (default <c>max(2, workers + 1)</c>). <paramref name="strongTransform"/> adds MLKD's strong view.
    /// </summary>
    public DataLoader(ImageDataset dataset, IImageTransform transform, int batchSize, bool shuffle, long seed,
        int workers = 1, IImageTransform? strongTransform = null, int prefetch = 0)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        if (workers < 0) throw new ArgumentOutOfRangeException(nameof(workers), workers, "workers must be 0 or more");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "prefetch must be 0 (automatic) or more");
        foreach (var t in strongTransform is null ? [transform] : new[] { transform, strongTransform })
            if (t.OutputChannels != dataset.Channels)
                throw new ArgumentException($"{dataset.Name} has {dataset.Channels}-channel images, a transform produces {t.OutputChannels} channels");
        if (strongTransform is not null &&
            (strongTransform.OutputHeight != transform.OutputHeight || strongTransform.OutputWidth != transform.OutputWidth))
            throw new ArgumentException("the strong view must have the same output size as the weak view");
        Dataset = dataset;
        Transform = transform;
        StrongTransform = strongTransform;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        Workers = workers;
        Prefetch = prefetch > 0 ? prefetch : Math.Max(2, workers + 1);
    }

    /// <summary>The dataset the batches come from.</summary>
    public ImageDataset Dataset { get; }

    /// <summary>The (weak-view) transform.</summary>
    public IImageTransform Transform { get; }

    /// <summary>MLKD's strong-view transform, or <c>null</c>.</summary>
    public IImageTransform? StrongTransform { get; }

    /// <summary>Images per batch; the last batch of an epoch may hold fewer.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the images in a fresh random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the order and of every augmentation.</summary>
    public long Seed { get; }

    /// <summary>Background worker threads (0: synchronous).</summary>
    public int Workers { get; }

    /// <summary>The most batches prepared or being prepared at once.</summary>
    public int Prefetch { get; }

    /// <summary>Batches per epoch, the partial last one included.</summary>
    public int BatchCount => (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The order in which <see cref="Epoch"/> visits dataset indices (the identity when not shuffling).</summary>
    public int[] Order(int epoch)
    {
        var order = new int[Dataset.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!Shuffle) return order;
        var random = SampleRandom.For(Seed, epoch, -1, -1);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// The batches of one epoch, in order. Background preparation starts at the first
    /// <c>MoveNext</c> and stops when the enumeration ends or is disposed (a <c>foreach</c> does
    /// both); a failure while preparing a batch (for example a corrupt image) is rethrown here.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return Run(epoch);
    }

    IEnumerable<Batch> Run(int epoch)
    {
        using var run = new EpochRun(this, epoch);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            running.Add(run);
        }
        try
        {
            run.Start();
            for (int b = 0; b < BatchCount; b++) yield return run.Take(b);
        }
        finally
        {
            lock (gate) running.Remove(run);
        }
    }

    /// <summary>Stops any epoch still being prepared.</summary>
    public void Dispose()
    {
        EpochRun[] active;
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            active = running.ToArray();
        }
        foreach (var run in active) run.Stop();
    }
}
