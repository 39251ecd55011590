namespace LogitStd.Shell.Runs;

/// <summary>
/// The layout of a run folder (docs/run-folder.md), named once: <see cref="RunOutput"/> writes these
/// files, <see cref="RunFolder"/>, <c>results</c>, <c>--resume</c> and the figures read them.
/// </summary>
public static class RunFiles
{
    /// <summary>The resolved experiment, as the run ran it.</summary>
    public const string Experiment = "experiment.yaml";

    /// <summary>How the run computes (its torch thread count).</summary>
    public const string Settings = "run.json";

    /// <summary>What ran and how it ended (<see cref="RunSummary"/>).</summary>
    public const string Summary = "summary.json";

    /// <summary>One row per finished epoch (<see cref="MetricsLog"/>, <see cref="EpochMetricsReader"/>).</summary>
    public const string Metrics = "metrics.csv";

    /// <summary>The same rows as JSON lines.</summary>
    public const string MetricsJsonl = "metrics.jsonl";

    /// <summary>TensorBoard event files.</summary>
    public const string Events = "events";

    /// <summary>The checkpoints folder: <see cref="LatestCheckpoint"/> and <see cref="BestCheckpoint"/>.</summary>
    public const string Checkpoints = "checkpoints";

    public const string LatestCheckpoint = "checkpoints/latest.ckpt";
    public const string BestCheckpoint = "checkpoints/best.ckpt";

    /// <summary>The analysis folder: per role (<c>student</c>, <c>teacher</c>) the test logits, the
    /// class-mean logit matrix and per-sample logit statistics (<see cref="LogitStats"/>).</summary>
    public const string Analysis = "analysis";

    public static string TestLogits(string role) => $"{Analysis}/{role}_test_logits.csv";
    public static string ClassMeans(string role) => $"{Analysis}/{role}_class_means.csv";
    public static string SampleStats(string role) => $"{Analysis}/{role}_sample_stats.csv";

    /// <summary>The pooled penultimate feature of every test image (<see cref="FeatureFile"/>): the
    /// student's from its best checkpoint, the teacher's from the checkpoint the run distilled from.</summary>
    public static string TestFeatures(string role) => $"{Analysis}/{role}_test_features.npy";
}
