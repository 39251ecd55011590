using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace LogitStd.Shell.Data;

/// <summary>The loader's background preparation: batch buffers and one epoch's worker threads.</summary>
public sealed partial class DataLoader
{
    /// <summary>A buffer for one batch in flight.</summary>
    sealed class Slot(int batchSize, int sampleSize, bool strong)
    {
        public readonly float[] Images = new float[batchSize * sampleSize];
        public readonly float[]? Strong = strong ? new float[batchSize * sampleSize] : null;
        public readonly long[] Labels = new long[batchSize];
        public int[] Views = [];
        public readonly ManualResetEventSlim Ready = new(false);
        public int[] Indices = [];
        public ExceptionDispatchInfo? Error;
    }

    /// <summary>The background preparation of one epoch.</summary>
    sealed class EpochRun : IDisposable
    {
        readonly DataLoader loader;
        readonly int epoch;
        readonly int[] order;
        readonly int sampleSize;
        readonly Slot[] slots;
        readonly SemaphoreSlim free;
        readonly CancellationTokenSource cancel = new();
        readonly Thread[] threads;
        int nextBatch = -1;

        public EpochRun(DataLoader loader, int epoch)
        {
            this.loader = loader;
            this.epoch = epoch;
            order = loader.Order(epoch);
            var t = loader.Transform;
            sampleSize = t.OutputChannels * t.OutputHeight * t.OutputWidth;
            int inFlight = loader.Workers == 0 ? 1 : Math.Min(loader.Prefetch, Math.Max(1, loader.BatchCount));
            slots = new Slot[inFlight];
            for (int i = 0; i < slots.Length; i++) slots[i] = new Slot(loader.BatchSize, sampleSize, loader.StrongTransform is not null);
            free = new SemaphoreSlim(slots.Length, slots.Length);
            threads = new Thread[loader.Workers];
            for (int i = 0; i < threads.Length; i++)
                threads[i] = new Thread(Work) { IsBackground = true, Name = $"DataLoader worker {i}" };
        }

        public void Start()
        {
            foreach (var thread in threads) thread.Start();
        }

        /// <summary>Waits for batch <paramref name="number"/>, turns it into tensors and frees its slot.</summary>
        public Batch Take(int number)
        {
            var slot = slots[number % slots.Length];
            if (threads.Length == 0)
                Fill(slot, number);
            else
            {
                try { slot.Ready.Wait(cancel.Token); }
                catch (OperationCanceledException) { throw new ObjectDisposedException(nameof(DataLoader), "the loader was disposed during the epoch"); }
            }
            try
            {
                slot.Error?.Throw();
                return ToBatch(number, slot);
            }
            finally
            {
                slot.Ready.Reset();
                if (threads.Length > 0) free.Release();
            }
        }

        Batch ToBatch(int number, Slot slot)
        {
            var t = loader.Transform;
            int n = slot.Indices.Length;
            long[] shape = [n, t.OutputChannels, t.OutputHeight, t.OutputWidth];
            var images = FromFloats(slot.Images.AsSpan(0, n * sampleSize), shape);
            var labels = torch.empty([n], torch.ScalarType.Int64);
            labels.bytes = MemoryMarshal.AsBytes(slot.Labels.AsSpan(0, n));
            var strong = slot.Strong is null ? null : FromFloats(slot.Strong.AsSpan(0, n * sampleSize), shape);
            return new Batch(number, slot.Indices, images, labels, strong, loader.Transform is IViewTransform ? slot.Views : null);
        }

        static torch.Tensor FromFloats(Span<float> values, long[] shape)
        {
            // torch.empty + a byte copy: the tensor owns its memory, so the slot can be refilled at once.
            var tensor = torch.empty(shape, torch.ScalarType.Float32);
            tensor.bytes = MemoryMarshal.AsBytes(values);
            return tensor;
        }

        void Work()
        {
            var token = cancel.Token;
            while (true)
            {
                try { free.Wait(token); }
                catch (OperationCanceledException) { return; }
                int number = Interlocked.Increment(ref nextBatch);
                if (number >= loader.BatchCount)
                {
                    free.Release();
                    return;
                }
                var slot = slots[number % slots.Length];
                Fill(slot, number);
                slot.Ready.Set();
            }
        }

        /// <summary>Fills a slot with batch <paramref name="number"/>; a failure is stored for the consumer to rethrow.</summary>
        void Fill(Slot slot, int number)
        {
            try
            {
                slot.Error = null;
                int start = number * loader.BatchSize;
                int n = Math.Min(loader.BatchSize, order.Length - start);
                var indices = new int[n];
                var views = new int[n];
                var viewed = loader.Transform as IViewTransform;
                var dataset = loader.Dataset;
                for (int i = 0; i < n; i++)
                {
                    int index = order[start + i];
                    indices[i] = index;
                    var image = dataset.GetImage(index);
                    slot.Labels[i] = dataset.Labels[index];
                    var random = SampleRandom.For(loader.Seed, epoch, index, 0);
                    var destination = slot.Images.AsSpan(i * sampleSize, sampleSize);
                    // The same draws either way; a view transform also says which view it drew (the teacher cache's key).
                    if (viewed is not null) views[i] = viewed.ApplyView(image, destination, ref random);
                    else loader.Transform.Apply(image, destination, ref random);
                    if (slot.Strong is not null)
                    {
                        var strongRandom = SampleRandom.For(loader.Seed, epoch, index, 1);
                        loader.StrongTransform!.Apply(image, slot.Strong.AsSpan(i * sampleSize, sampleSize), ref strongRandom);
                    }
                }
                slot.Indices = indices;
                slot.Views = views;
            }
            catch (Exception e)
            {
                slot.Error = ExceptionDispatchInfo.Capture(e);
            }
        }

        /// <summary>Cancels the workers (they stop at their next slot wait; a batch in progress finishes).</summary>
        public void Stop()
        {
            // The loader's Dispose may race with the epoch finishing on the consumer's thread; a run
            // that has already been disposed has nothing left to stop.
            try { cancel.Cancel(); }
            catch (ObjectDisposedException) { }
        }

        public void Dispose()
        {
            cancel.Cancel();
            foreach (var thread in threads)
                if (thread.IsAlive) thread.Join();
            foreach (var slot in slots) slot.Ready.Dispose();
            free.Dispose();
            cancel.Dispose();
        }
    }
}
