using System.Globalization;
using TorchSharp;

namespace LogitStd.Shell.Bench;

/// <summary>The measurement of one configuration.</summary>
/// <param name="Config">Configuration name.</param>
/// <param name="Kind">Throughput or memory growth.</param>
/// <param name="Threads">Torch intra-op threads.</param>
/// <param name="Steps">Timed steps.</param>
/// <param name="ImagesPerSecond">Images per second over the timed steps.</param>
/// <param name="CpuPerWall">CPU seconds of all threads ÷ wall seconds over the timed steps.</param>
/// <param name="RssStartMiB">Resident memory when the timed steps start (after the warm-up).</param>
/// <param name="RssEndMiB">Resident memory after the timed steps.</param>
/// <param name="RssBeforeMiB">Resident memory before the models were built.</param>
/// <param name="FlopsPerImage">Convolution and linear FLOPs per image of the step (<see cref="Flops"/>).</param>
public sealed record BenchResult(
    string Config, BenchKind Kind, int Threads, int Steps, double ImagesPerSecond, double CpuPerWall,
    double RssStartMiB, double RssEndMiB, double RssBeforeMiB, double FlopsPerImage)
{
    /// <summary>The step's convolution and linear arithmetic per second, in GFLOP/s.</summary>
    public double Gflops => ImagesPerSecond * FlopsPerImage / 1e9;

    /// <summary>Relative RSS growth over the timed steps, (end − start) / start.</summary>
    public double RssGrowth => (RssEndMiB - RssStartMiB) / RssStartMiB;

    /// <summary>The machine-readable line the Cake target parses; the PyTorch peer prints the same keys.</summary>
    public string ToResultLine() => string.Create(CultureInfo.InvariantCulture,
        $"RESULT side=logitstd config={Config} threads={Threads} steps={Steps} img_s={ImagesPerSecond:F2} cpu_wall={CpuPerWall:F2} rss_start_mib={RssStartMiB:F1} rss_end_mib={RssEndMiB:F1} rss_growth_pct={100 * RssGrowth:F2} gflop_s={Gflops:F2}");
}

/// <summary>Runs configurations: build, untimed warm-up, timed steps, samples of CPU time and RSS.</summary>
public static class BenchRunner
{
    /// <summary>Measures one configuration with the given step counts. In memory mode,
    /// <paramref name="trace"/> receives a line every tenth of the run (RSS, managed heap, gen-0 collections).</summary>
    public static BenchResult Measure(BenchConfig config, int warmup, int steps, int threads, Action<string>? trace = null)
    {
        var before = ProcessSample.Now();
        using var step = config.Create();
        for (int i = 0; i < warmup; i++) step.Run();
        if (config.Kind == BenchKind.Memory)
        {
            // The managed heap grows until the first gen-0 collection: each step leaves its small
            // managed Tensor wrappers (disposed, their native memory already freed) for the GC, and .NET
            // sizes the gen-0 budget from the L3 cache, which this VM reports as 260 MiB; with the
            // default budget the first collection came after ~2,300 steps, and RSS was flat after it
            // (docs/benchmarks.md). The baseline is taken once a collection has happened, so that the
            // check measures growth in the steady state instead of the gen-0 budget filling once.
            int gen0 = GC.CollectionCount(0);
            for (int i = 0; i < 5000 && GC.CollectionCount(0) == gen0; i++) step.Run();
        }
        else
        {
            // Throughput: collect construction and warm-up garbage so that no late collection lands in the timed steps.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        var start = ProcessSample.Now();
        int every = Math.Max(1, steps / 10);
        for (int i = 0; i < steps; i++)
        {
            step.Run();
            if (trace is not null && (i + 1) % every == 0)
            {
                var now = ProcessSample.Now();
                trace(string.Create(CultureInfo.InvariantCulture,
                    $"TRACE config={config.Name} step={i + 1} rss_mib={now.ResidentMiB:F1} gc_heap_mib={GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:F1} gen0_collections={GC.CollectionCount(0)}"));
            }
        }
        var end = ProcessSample.Now();
        double wall = end.WallSecondsSince(start);
        return new BenchResult(config.Name, config.Kind, threads, steps, steps * step.BatchSize / wall,
            end.CpuPerWallSince(start), start.ResidentMiB, end.ResidentMiB, before.ResidentMiB, step.FlopsPerImage);
    }

    /// <summary>Sets libtorch's intra-op threads, as the peer's <c>torch.set_num_threads</c> does.
    /// Inter-op threads keep their default on both sides: setting them fails once any parallel work
    /// has run, and a training step issues its operators one after another.</summary>
    public static void SetThreads(int threads) => torch.set_num_threads(threads);
}
