using System.Globalization;
using System.Text;
using LogitStd.Shell.Bench;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd bench</c>: whole training steps in-process, images per second,
/// CPU time ÷ wall time and resident memory per configuration, one machine-readable <c>RESULT</c>
/// line each (the Cake target <c>Bench</c> pairs them with the PyTorch peer's) and a table at the end.
/// </summary>
public static class BenchCommand
{
    /// <summary>Runs the selected configurations; returns 0, or throws <see cref="UsageException"/> for an unknown configuration name.</summary>
    public static int Run(Core.Cli.BenchOptions options, TextWriter stdout, TextWriter stderr)
    {
        var only = options.Only.ToList();
        var unknown = only.Where(n => BenchConfig.All.All(c => c.Name != n)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"bench: unknown configuration {string.Join(", ", unknown)}; known: {string.Join(", ", BenchConfig.All.Select(c => c.Name))}");
        var selected = BenchConfig.All.Where(c => only.Count > 0 ? only.Contains(c.Name) : !options.Quick || c.InQuick).ToList();
        // The trainer's setting: libgomp's wait policy is left as the environment has it (unset: spin
        // a while, then sleep). PASSIVE helps on a machine shared with other work and costs small
        // steps a thread wake-up per parallel operation (docs/benchmarks.md); set it to compare.
        var waitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } policy ? policy : "unset (libgomp's default, as the trainer)";
        int threads = options.Threads.ToNullable() ?? Environment.ProcessorCount;
        BenchRunner.SetThreads(threads);
        int? steps = options.Steps.ToNullable();

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"logitstd bench: batch {BenchConfig.Batch}, {threads} thread(s), OMP_WAIT_POLICY {waitPolicy}, native heap: {Platform.NativeHeap.Setting ?? "not configured"}, {Environment.ProcessorCount} cores, {(options.Quick ? "quick" : "full")} run, synthetic data, .NET {Environment.Version}"));
        double? peak = null;
        if (options.Peak)
        {
            peak = Flops.MatmulGflops();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PEAK gflop_s={peak:F1} (float32 2048 × 2048 matrix product, {threads} thread(s), after 2 untimed products, over 1 s)"));
        }
        var results = new List<(BenchConfig Config, BenchResult Result)>();
        foreach (var c in selected)
        {
            int warmup = options.Quick ? c.QuickWarmup : c.Warmup;
            int timed = steps ?? (options.Quick ? c.QuickSteps : c.Steps);
            var r = BenchRunner.Measure(c, warmup, timed, threads, c.Kind == BenchKind.Memory ? stdout.WriteLine : null);
            results.Add((c, r));
            stdout.WriteLine(r.ToResultLine());
            stdout.Flush();
        }

        var table = Table(results, peak);
        stdout.WriteLine();
        stdout.Write(table);
        if (options.Markdown.ToNullable() is { } file)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(file));
            if (dir is not null) Directory.CreateDirectory(dir);
            Persistence.Atomic.WriteText(file, table);
        }
        return 0;
    }

    static string Table(IEnumerable<(BenchConfig Config, BenchResult Result)> results, double? peak)
    {
        var sb = new StringBuilder();
        if (peak is double p) sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"FP32 peak (measured, 2048² float32 matrix product): {p:F1} GFLOP/s"));
        sb.AppendLine("| configuration | steps | img/s | CPU/wall | RSS start MiB | RSS end MiB | RSS growth | conv+linear GFLOP/s | share of the peak |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (c, r) in results)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Name} ({c.Description}) | {r.Steps} | {r.ImagesPerSecond:F1} | {r.CpuPerWall:F2} | {r.RssStartMiB:F0} | {r.RssEndMiB:F0} | {100 * r.RssGrowth:+0.00;-0.00}% | {r.Gflops:F1} | {(peak is double q ? $"{100 * r.Gflops / q:F0} %" : "—")} |"));
        return sb.ToString();
    }
}
