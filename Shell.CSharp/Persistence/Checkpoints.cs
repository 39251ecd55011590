using System.Text.Json;
using LogitStd.Shell.Models;
using static TorchSharp.torch;

namespace LogitStd.Shell.Persistence;

/// <summary>The two checkpoint formats this program reads.</summary>
public enum CheckpointFormat
{
    /// <summary>A <c>torch.save</c> file, zip or legacy format (bare state dict, or a dict with a <c>"model"</c> state dict).</summary>
    PyTorch,

    /// <summary>The project's own container (<see cref="ProjectCheckpoint"/>).</summary>
    LogitStd,
}

/// <summary>What a checkpoint holds, read before any model is built or loaded.</summary>
/// <param name="Path">The file.</param>
/// <param name="Format">Its format.</param>
/// <param name="Shapes">Shape of every state-dict tensor, keys without any <c>module.</c> prefix.</param>
/// <param name="ModelName">The model name recorded in a project checkpoint; null for PyTorch files, which record none.</param>
/// <param name="Classes">The class count: the row count of the classifier weight; null when no known head key is present.</param>
public sealed record CheckpointSummary(
    string Path,
    CheckpointFormat Format,
    IReadOnlyDictionary<string, long[]> Shapes,
    string? ModelName,
    int? Classes);

/// <summary>
/// Loading and saving model weights. Reads PyTorch files (bare state dict, mdistiller's
/// <c>{"model": state_dict, …}</c>, with or without DataParallel's <c>module.</c> prefix) and the
/// project's own format, detected from the file's content; writes both. Loading checks every tensor
/// first and leaves the model untouched when anything is missing, unexpected or mis-shaped.
/// </summary>
public static class Checkpoints
{
    /// <summary>Head-weight keys of the zoo's models, used to find the class count of a file that names no model.</summary>
    private static readonly string[] KnownHeads = ["fc.weight", "linear.weight", "classifier.weight", "classifier.0.weight", "fc2.weight"];

    private const string NumBatchesTracked = "num_batches_tracked";

    /// <summary>Detects the format from the content (zip entries), not from the extension.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">Neither format.</exception>
    public static CheckpointFormat DetectFormat(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        EnsureRegularFile(path);
        if (ProjectCheckpoint.IsProjectCheckpoint(path)) return CheckpointFormat.LogitStd;
        if (PyTorchFormat.IsPyTorchFile(path)) return CheckpointFormat.PyTorch;
        throw new CheckpointFormatException(
            $"'{path}' is neither a {ProjectCheckpoint.FormatName} file nor a torch.save file (zip or legacy format)");
    }

    /// <summary>A checkpoint is read only from a regular file: a FIFO would block its first read for
    /// ever, a device such as /dev/zero never end.</summary>
    /// <exception cref="CheckpointFormatException">A FIFO, a device, a socket or a folder.</exception>
    internal static void EnsureRegularFile(string path)
    {
        var kind = SafeIO.FileKinds.Of(path, followLinks: true).Kind;
        if (kind is SafeIO.FileKind.Special or SafeIO.FileKind.Directory)
            throw new CheckpointFormatException($"'{path}' is not a regular file ({(kind == SafeIO.FileKind.Directory ? "a folder" : "a FIFO, device or socket")}), so not a checkpoint");
    }

    /// <summary>
    /// Reads what <paramref name="path"/> holds (format, tensor shapes, class count) without touching a
    /// model, so that a caller can reject a checkpoint before any work. <paramref name="headWeight"/>
    /// (a model's <see cref="ModelInfo.HeadWeight"/>) names the classifier weight; without it the
    /// zoo's head keys are tried.
    /// </summary>
    public static CheckpointSummary Inspect(string path, string? headWeight = null)
    {
        switch (DetectFormat(path))
        {
            case CheckpointFormat.LogitStd:
            {
                var (tensorShapes, json) = ProjectCheckpoint.Inspect(path);
                var shapes = tensorShapes.TryGetValue(ProjectCheckpoint.ModelSection, out var s) ? s : new Dictionary<string, long[]>();
                string? name = null;
                int? classes = null;
                if (json.TryGetValue(ProjectCheckpoint.ModelInfoSection, out var infoJson))
                {
                    // The section is valid JSON (the reader checked); its fields are checked here.
                    using var doc = JsonDocument.Parse(infoJson);
                    var info = doc.RootElement;
                    if (info.ValueKind != JsonValueKind.Object)
                        throw new CheckpointFormatException($"'{path}': section '{ProjectCheckpoint.ModelInfoSection}' is not a JSON object");
                    if (info.TryGetProperty("name", out var n))
                        name = n.ValueKind == JsonValueKind.String ? n.GetString()
                            : throw new CheckpointFormatException($"'{path}': section '{ProjectCheckpoint.ModelInfoSection}': \"name\" is not a string");
                    if (info.TryGetProperty("classes", out var k))
                        classes = k.ValueKind == JsonValueKind.Number && k.TryGetInt32(out var c) && c > 0 ? c
                            : throw new CheckpointFormatException($"'{path}': section '{ProjectCheckpoint.ModelInfoSection}': \"classes\" is not a positive integer");
                }
                return new CheckpointSummary(path, CheckpointFormat.LogitStd, shapes, name, classes ?? HeadRows(shapes, headWeight));
            }
            default:
            {
                var tensors = PyTorchFormat.ReadStateDict(path);
                try
                {
                    var shapes = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
                    return new CheckpointSummary(path, CheckpointFormat.PyTorch, shapes, null, HeadRows(shapes, headWeight));
                }
                finally
                {
                    foreach (var t in tensors.Values) t.Dispose();
                }
            }
        }
    }

    /// <summary>The class count of a checkpoint (rows of its classifier weight), or null when no head is found.</summary>
    public static int? ReadClassCount(string path, string? headWeight = null) => Inspect(path, headWeight).Classes;

    /// <summary>
    /// Checks, before any loading, that <paramref name="path"/> fits <paramref name="model"/> and, when
    /// given, a dataset of <paramref name="datasetClasses"/> classes. Throws with both class counts in
    /// the message, or with every offending tensor named.
    /// </summary>
    /// <exception cref="ClassCountMismatchException">The checkpoint's class count differs from the dataset's or the model's.</exception>
    /// <exception cref="CheckpointMismatchException">Some tensor is missing, unexpected or mis-shaped.</exception>
    public static CheckpointSummary EnsureFits(Classifier model, string path, int? datasetClasses = null)
    {
        var summary = Inspect(path, model.Info.HeadWeight);
        if (summary.Classes is { } k)
        {
            if (datasetClasses is { } d && k != d) throw new ClassCountMismatchException(path, k, d, "the dataset");
            if (k != model.Info.Classes) throw new ClassCountMismatchException(path, k, model.Info.Classes, $"model '{model.Info.Name}'");
        }
        var report = Compare(model, summary.Shapes);
        if (!report.Fits) throw new CheckpointMismatchException(path, model.Info.Name, report);
        return summary;
    }

    /// <summary>
    /// The one call <c>logitstd eval</c> needs: validates that <paramref name="path"/> fits model
    /// <paramref name="modelName"/> and a dataset of <paramref name="datasetClasses"/> classes (class
    /// count first, with both numbers in the message; then every tensor by name and shape), and only
    /// then builds the model, loads the weights and switches it to eval mode. The caller disposes it.
    /// </summary>
    /// <exception cref="UnknownModelException">The model name is not in the zoo (the message lists the valid ones).</exception>
    /// <exception cref="ClassCountMismatchException">The checkpoint's class count differs from the dataset's.</exception>
    /// <exception cref="CheckpointMismatchException">The checkpoint holds another architecture.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a readable checkpoint.</exception>
    public static Classifier LoadForEvaluation(string modelName, string path, int datasetClasses)
    {
        var model = ModelZoo.Create(modelName, datasetClasses);
        try
        {
            EnsureFits(model, path, datasetClasses);
            LoadInto(model, path);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Compares a model's state dict with checkpoint tensor shapes (keys already without <c>module.</c>).</summary>
    public static LoadReport Compare(nn.Module model, IReadOnlyDictionary<string, long[]> fileShapes)
    {
        var missing = new List<TensorEntry>();
        var mismatched = new List<ShapeMismatch>();
        var ignored = new List<string>();
        var modelState = model.state_dict();
        foreach (var (key, t) in modelState)
        {
            if (!fileShapes.TryGetValue(key, out var shape))
            {
                if (IsBatchCounter(key)) ignored.Add(key);
                else missing.Add(new TensorEntry(key, t.shape));
            }
            else if (!shape.SequenceEqual(t.shape))
            {
                mismatched.Add(new ShapeMismatch(key, t.shape, shape));
            }
        }
        var unexpected = new List<TensorEntry>();
        foreach (var (key, shape) in fileShapes)
        {
            if (modelState.ContainsKey(key)) continue;
            if (IsBatchCounter(key)) ignored.Add(key);
            else unexpected.Add(new TensorEntry(key, shape));
        }
        return new LoadReport(missing, unexpected, mismatched, ignored);
    }

    /// <summary>
    /// Loads the weights in <paramref name="path"/> (either format, detected from the content) into
    /// <paramref name="model"/>, converting dtypes where they differ. Nothing is copied unless every
    /// tensor fits; the report lists the tolerated <c>num_batches_tracked</c> differences.
    /// </summary>
    /// <exception cref="CheckpointMismatchException">Some tensor is missing, unexpected or mis-shaped; the model is unchanged.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a readable checkpoint.</exception>
    public static LoadReport LoadInto(Classifier model, string path)
    {
        var format = DetectFormat(path);
        ProjectCheckpoint? project = null;
        Dictionary<string, Tensor>? owned = null;
        try
        {
            IReadOnlyDictionary<string, Tensor> source;
            if (format == CheckpointFormat.LogitStd)
            {
                project = ProjectCheckpoint.Load(path);
                source = project.GetTensors(ProjectCheckpoint.ModelSection);
            }
            else
            {
                owned = PyTorchFormat.ReadStateDict(path);
                source = owned;
            }
            return CopyInto(model, source, path);
        }
        finally
        {
            project?.Dispose();
            if (owned is not null) foreach (var t in owned.Values) t.Dispose();
        }
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="model"/>'s state after checking that it fits.</summary>
    /// <exception cref="CheckpointMismatchException">Some tensor is missing, unexpected or mis-shaped; the model is unchanged.</exception>
    public static LoadReport CopyInto(Classifier model, IReadOnlyDictionary<string, Tensor> source, string origin)
    {
        var report = Compare(model, source.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal));
        if (!report.Fits) throw new CheckpointMismatchException(origin, model.Info.Name, report);
        using var _ = no_grad();
        foreach (var (key, target) in model.state_dict())
        {
            if (source.TryGetValue(key, out var value)) target.copy_(value);
        }
        return report;
    }

    /// <summary>
    /// Writes the model's state dict as <c>torch.save</c> does, for <c>torch.load</c> + <c>load_state_dict</c>
    /// on the same architecture; <paramref name="nestUnderModel"/> writes mdistiller's <c>{"model": …}</c> layout.
    /// </summary>
    public static void SavePyTorch(nn.Module model, string path, bool nestUnderModel = false) =>
        PyTorchFormat.WriteStateDict(model.state_dict(), path, nestUnderModel);

    /// <summary>
    /// Writes <paramref name="model"/> in the project format: its state dict (section
    /// <see cref="ProjectCheckpoint.ModelSection"/>), its description (<see cref="ProjectCheckpoint.ModelInfoSection"/>)
    /// and any further sections the caller fills in through <paramref name="addSections"/>
    /// (optimizer state, epoch, best accuracy, RNG state). The write is atomic.
    /// </summary>
    public static void Save(Classifier model, string path, Action<ProjectCheckpoint>? addSections = null)
    {
        using var checkpoint = new ProjectCheckpoint();
        checkpoint.SetTensors(ProjectCheckpoint.ModelSection, model.state_dict());
        checkpoint.SetJson(ProjectCheckpoint.ModelInfoSection, JsonSerializer.Serialize(new
        {
            name = model.Info.Name,
            classes = model.Info.Classes,
            inputShape = model.Info.InputShape,
            featureDim = model.Info.FeatureDim,
            headWeight = model.Info.HeadWeight,
        }));
        addSections?.Invoke(checkpoint);
        checkpoint.Save(path);
    }

    /// <summary>Writes an already-filled container atomically.</summary>
    public static void Save(ProjectCheckpoint checkpoint, string path) => checkpoint.Save(path);

    /// <summary>Reads a project checkpoint with all its sections; dispose it to release the tensors.</summary>
    public static ProjectCheckpoint Load(string path) => ProjectCheckpoint.Load(path);

    private static bool IsBatchCounter(string key) =>
        key == NumBatchesTracked || key.EndsWith("." + NumBatchesTracked, StringComparison.Ordinal);

    private static int? HeadRows(IReadOnlyDictionary<string, long[]> shapes, string? headWeight)
    {
        var candidates = headWeight is null ? KnownHeads : [headWeight];
        foreach (var key in candidates)
        {
            if (shapes.TryGetValue(key, out var shape) && shape.Length == 2) return (int)shape[0];
        }
        return null;
    }
}
