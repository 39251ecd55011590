using System.Text;

namespace LogitStd.Shell.Persistence;

/// <summary>A state-dict entry named in a <see cref="LoadReport"/>, with its shape.</summary>
/// <param name="Key">State-dict key, after removing any DataParallel <c>module.</c> prefix.</param>
/// <param name="Shape">Its shape (the model's for a missing entry, the file's for an unexpected one).</param>
public sealed record TensorEntry(string Key, IReadOnlyList<long> Shape)
{
    /// <inheritdoc />
    public override string ToString() => $"{Key} [{string.Join(", ", Shape)}]";
}

/// <summary>A state-dict entry present in both, with different shapes.</summary>
/// <param name="Key">State-dict key.</param>
/// <param name="ModelShape">The shape the model has.</param>
/// <param name="FileShape">The shape the checkpoint holds.</param>
public sealed record ShapeMismatch(string Key, IReadOnlyList<long> ModelShape, IReadOnlyList<long> FileShape)
{
    /// <inheritdoc />
    public override string ToString() => $"{Key}: model [{string.Join(", ", ModelShape)}], checkpoint [{string.Join(", ", FileShape)}]";
}

/// <summary>
/// How a checkpoint's tensors line up with a model's state dict. A load only proceeds when
/// <see cref="Fits"/>; <c>num_batches_tracked</c> buffers may be absent on either side (older PyTorch
/// files lack them and they do not affect the output) and are listed in <see cref="Ignored"/>.
/// </summary>
public sealed record LoadReport(
    IReadOnlyList<TensorEntry> Missing,
    IReadOnlyList<TensorEntry> Unexpected,
    IReadOnlyList<ShapeMismatch> Mismatched,
    IReadOnlyList<string> Ignored)
{
    /// <summary>True when every model tensor has a same-shaped counterpart and nothing is left over.</summary>
    public bool Fits => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <summary>A multi-line description naming every missing, unexpected and mis-shaped tensor.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        void Section<T>(string title, IReadOnlyList<T> items)
        {
            if (items.Count == 0) return;
            sb.AppendLine($"{title} ({items.Count}):");
            foreach (var item in items) sb.AppendLine($"  {item}");
        }
        Section("missing from the checkpoint", Missing);
        Section("unexpected in the checkpoint", Unexpected);
        Section("shape mismatch", Mismatched);
        return sb.Length == 0 ? "checkpoint fits the model" : sb.ToString().TrimEnd();
    }
}

/// <summary>A checkpoint does not fit a model; the message names every offending tensor with its shapes.</summary>
public sealed class CheckpointMismatchException(string path, string model, LoadReport report)
    : InputException($"checkpoint '{path}' does not fit model '{model}':{Environment.NewLine}{report.Describe()}")
{
    /// <summary>The comparison that failed.</summary>
    public LoadReport Report { get; } = report;
}

/// <summary>A checkpoint was written for another class count than the one required (model or dataset).</summary>
public sealed class ClassCountMismatchException(string path, int checkpointClasses, int requiredClasses, string requiredBy)
    : InputException($"checkpoint '{path}' has {checkpointClasses} classes but {requiredBy} has {requiredClasses}")
{
    /// <summary>Class count found in the checkpoint.</summary>
    public int CheckpointClasses { get; } = checkpointClasses;

    /// <summary>Class count required by the model or dataset.</summary>
    public int RequiredClasses { get; } = requiredClasses;
}

/// <summary>A file is not a checkpoint this program can read (legacy PyTorch format, corrupt, unknown).</summary>
public sealed class CheckpointFormatException(string message, Exception? inner = null) : InputException(message, inner);
