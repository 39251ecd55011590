using LogitStd.Core;
using LogitStd.Shell.Models;

namespace LogitStd.Shell.Bench;

/// <summary>What a configuration measures.</summary>
public enum BenchKind
{
    /// <summary>Images per second over timed steps after an untimed warm-up.</summary>
    Throughput,
    /// <summary>Resident-memory growth over many steps, measured from the end of the warm-up.</summary>
    Memory,
}

/// <summary>
/// One benchmark configuration: how to build its training step and how many steps to take. The
/// names are the ones printed and accepted by <c>--only</c>; the PyTorch peer
/// (tools/bench/pytorch_peer.py) uses the same names, step counts and settings.
/// </summary>
/// <param name="Name">Name as printed, e.g. <c>kd_ls</c>.</param>
/// <param name="Description">What the step does, for the table.</param>
/// <param name="Kind">Throughput or memory growth.</param>
/// <param name="Create">Builds the step (models, optimizer, synthetic batch).</param>
/// <param name="Warmup">Untimed steps of a full run.</param>
/// <param name="Steps">Timed steps of a full run.</param>
/// <param name="QuickWarmup">Untimed steps with <c>--quick</c>.</param>
/// <param name="QuickSteps">Timed steps with <c>--quick</c>.</param>
/// <param name="InQuick">Whether <c>--quick</c> runs it without being named by <c>--only</c>.</param>
public sealed record BenchConfig(
    string Name, string Description, BenchKind Kind, Func<BenchStep> Create,
    int Warmup, int Steps, int QuickWarmup, int QuickSteps, bool InQuick = true)
{
    /// <summary>Batch size of every configuration (the paper's CIFAR batch; also used for Fashion-MNIST).</summary>
    public const int Batch = 64;

    const int Seed = 7;

    static BenchStep Ce(string model, int classes, bool channelsLast = false) =>
        new(ModelZoo.Create(model, classes), null, Objectives.CrossEntropy, Batch, Seed, channelsLast: channelsLast);

    static BenchStep Distil(string student, string teacher, int classes, Objective.Objective objective, bool cached = false, bool channelsLast = false) =>
        new(ModelZoo.Create(student, classes), ModelZoo.Create(teacher, classes), objective, Batch, Seed, cached, channelsLast);

    static BenchStep Cached(Objective.Objective objective) => Distil("resnet8x4", "resnet32x4", 100, objective, cached: true);

    /// <summary>Every configuration, in the order they run. Step counts keep a contended 2-core machine's
    /// full run to minutes and a <c>--quick</c> run (with the PyTorch peer) under two minutes.</summary>
    public static IReadOnlyList<BenchConfig> All { get; } =
    [
        new("resnet8x4", "resnet8x4, CE, 3×32×32, 100 classes", BenchKind.Throughput, () => Ce("resnet8x4", 100), 3, 10, 1, 2),
        new("resnet32x4", "resnet32x4, CE, 3×32×32, 100 classes", BenchKind.Throughput, () => Ce("resnet32x4", 100), 2, 3, 1, 1, InQuick: false),
        new("fmnist_wide_cnn", "fmnist_wide_cnn, CE, 1×28×28, 10 classes", BenchKind.Throughput, () => Ce("fmnist_wide_cnn", 10), 10, 60, 3, 10),
        new("fmnist_small_cnn", "fmnist_small_cnn, CE, 1×28×28, 10 classes", BenchKind.Throughput, () => Ce("fmnist_small_cnn", 10), 20, 200, 5, 40),
        new("fmnist_mlp", "fmnist_mlp, CE, 1×28×28, 10 classes", BenchKind.Throughput, () => Ce("fmnist_mlp", 10), 50, 1000, 20, 200),
        new("kd", "KD T=4, 0.1·CE + 0.9·KD: resnet32x4 teacher (eval, no-grad) → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Kd(false)), 2, 6, 1, 1),
        new("kd_ls", "KD+LS τ=2, 0.1·CE + 9·KD(z-score): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Kd(true)), 2, 6, 1, 1),
        new("mlkd", "MLKD T=4, 0.1·CE(2 views) + 0.9·(instance+class+batch): resnet32x4 on both views → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Mlkd(false)), 1, 3, 1, 1),
        new("dkd_ls", "DKD+LS α 9, β 72, τ 2, CE 1, warm-up 20 (epoch 1): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Dkd(true)), 2, 6, 1, 1, InQuick: false),
        new("ctkd_ls", "CTKD+LS T = 1 + 20·σ(GRL(g)), 0.1·CE + 9·KD(z-score), g trained: resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Ctkd(true)), 2, 6, 1, 1, InQuick: false),
        // The newer methods, each with and without LS (METHODS.md's settings; the peer runs the same loss).
        new("dist", "DIST τ=4, 1·CE + 2·(β 1·inter + γ 1·intra): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Dist(false)), 2, 6, 1, 1, InQuick: false),
        new("dist_ls", "DIST+LS τ=2, 1·CE + 2·(β 9·inter + γ 9·intra)(z-score): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Dist(true)), 2, 6, 1, 1, InQuick: false),
        new("nkd", "NKD T=3, γ 3.5, 1·CE + 1·NKD: resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Nkd(false)), 2, 6, 1, 1, InQuick: false),
        new("nkd_ls", "NKD+LS τ=2, γ 3.5, 1·CE + 9·NKD(z-score): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Nkd(true)), 2, 6, 1, 1, InQuick: false),
        new("wttm", "WTTM γ 0.1, 1·CE + 45·WTTM: resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Wttm(false)), 2, 6, 1, 1, InQuick: false),
        new("wttm_ls", "WTTM+LS γ 0.1, 1·CE + 405·WTTM(z-score): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Wttm(true)), 2, 6, 1, 1, InQuick: false),
        new("rld", "RLD α 1, β 8, T=4, α_T 4, CE 1, warm-up 20 (epoch 1): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Rld(false)), 2, 6, 1, 1, InQuick: false),
        new("rld_ls", "RLD+LS α 9, β 72, τ=2, α_T 2, CE 1, warm-up 20 (epoch 1): resnet32x4 → resnet8x4", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Rld(true)), 2, 6, 1, 1, InQuick: false),
        new("kd_cached", "kd with the teacher cache warm: the step gets the teacher's logits (the peer runs kd online)", BenchKind.Throughput,
            () => Cached(Objectives.Kd(false)), 2, 6, 1, 2),
        new("kd_ls_cached", "kd_ls with the teacher cache warm", BenchKind.Throughput, () => Cached(Objectives.Kd(true)), 2, 6, 1, 2),
        new("dkd_ls_cached", "dkd_ls with the teacher cache warm", BenchKind.Throughput, () => Cached(Objectives.Dkd(true)), 2, 6, 1, 2),
        new("ctkd_ls_cached", "ctkd_ls with the teacher cache warm", BenchKind.Throughput, () => Cached(Objectives.Ctkd(true)), 2, 6, 1, 2),
        new("memory", "RSS growth: KD+LS step fmnist_wide_cnn → fmnist_small_cnn, 2,000 steps", BenchKind.Memory,
            () => Distil("fmnist_small_cnn", "fmnist_wide_cnn", 10, Objectives.Kd(true)), 100, 2000, 50, 300, InQuick: false),
        // experiment.channels_last: the student trains channels-last; the peer runs the official code's layout.
        new("resnet8x4_cl", "resnet8x4 as above, channels-last (experiment.channels_last)", BenchKind.Throughput,
            () => Ce("resnet8x4", 100, channelsLast: true), 3, 10, 1, 2),
        new("fmnist_wide_cnn_cl", "fmnist_wide_cnn as above, channels-last", BenchKind.Throughput,
            () => Ce("fmnist_wide_cnn", 10, channelsLast: true), 10, 60, 3, 10, InQuick: false),
        new("fmnist_small_cnn_cl", "fmnist_small_cnn as above, channels-last", BenchKind.Throughput,
            () => Ce("fmnist_small_cnn", 10, channelsLast: true), 20, 200, 5, 40),
        new("kd_ls_cl", "kd_ls with the student channels-last", BenchKind.Throughput,
            () => Distil("resnet8x4", "resnet32x4", 100, Objectives.Kd(true), channelsLast: true), 2, 6, 1, 1, InQuick: false),
    ];
}
