using System.Globalization;
using System.Text.Json;
using LogitStd.Shell.Data;
using Microsoft.ML.OnnxRuntime;

namespace LogitStd.Shell.Export;

/// <summary>
/// An exported classifier opened with ONNX Runtime: its input geometry, class names and
/// normalisation come from the file's metadata (written by <see cref="OnnxExporter"/>), and
/// <see cref="Run"/> maps a normalised batch to its logits.
/// </summary>
public sealed class OnnxClassifierSession : IDisposable
{
    private readonly InferenceSession session;

    private OnnxClassifierSession(InferenceSession session, string source)
    {
        this.session = session;
        Source = source;
        var meta = session.ModelMetadata.CustomMetadataMap;
        string Get(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new OnnxModelException($"{source}: not a LogitStd export (metadata '{key}' missing); export it with `logitstd export`");
        if (Get(OnnxExporter.Keys.Format) != OnnxExporter.FormatName)
            throw new OnnxModelException($"{source}: unknown export format '{Get(OnnxExporter.Keys.Format)}', expected {OnnxExporter.FormatName}");
        Model = Get(OnnxExporter.Keys.Model);
        Dataset = OnnxExporter.DatasetOfKey(Get(OnnxExporter.Keys.Dataset))
            ?? throw new OnnxModelException($"{source}: metadata '{OnnxExporter.Keys.Dataset}' names no dataset of {OnnxExporter.FormatName}: '{Get(OnnxExporter.Keys.Dataset)}'");
        InputShape = [.. Get(OnnxExporter.Keys.InputShape).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        ClassNames = JsonSerializer.Deserialize<string[]>(Get(OnnxExporter.Keys.ClassNames))
            ?? throw new OnnxModelException($"{source}: metadata '{OnnxExporter.Keys.ClassNames}' is empty");
        static float[] Floats(string s) => [.. s.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture))];
        Normalization = new Normalization(Floats(Get(OnnxExporter.Keys.Mean)), Floats(Get(OnnxExporter.Keys.Std)));
        Metadata = meta;
    }

    /// <summary>Opens an ONNX file exported by LogitStd.</summary>
    /// <exception cref="OnnxModelException">The file is missing, not ONNX, or not a LogitStd export.</exception>
    public static OnnxClassifierSession Open(string path, int threads = 1)
    {
        if (!File.Exists(path)) throw new OnnxModelException($"{path}: file not found");
        byte[] bytes;
        // A FIFO or a device named as the model would block or never end: only a regular file, bounded (protobuf's own limit).
        try { bytes = SafeIO.BoundedRead.Bytes(path, int.MaxValue, "ONNX model"); }
        catch (SafeIO.UnsafeFileException e) { throw new OnnxModelException(e.Message); }
        return Open(bytes, path, threads);
    }

    /// <summary>Opens an exported model from its bytes; <paramref name="source"/> names it in messages.</summary>
    public static OnnxClassifierSession Open(byte[] model, string source, int threads = 1)
    {
        SessionOptions options;
        try
        {
            options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            // The self-contained bundle leaves ONNX Runtime's native library out (docs/gpu.md).
            throw new OnnxModelException($"{source}: ONNX Runtime's native library (libonnxruntime.so) is not available in this build, " +
                "so it cannot run ONNX models; classify from the checkpoint with `logitstd predict --model M --weights CKPT`, " +
                "or run the exported model with ONNX Runtime itself");
        }
        try
        {
            return new OnnxClassifierSession(new InferenceSession(model, options), source);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxModelException($"{source}: ONNX Runtime cannot load it: {e.Message}");
        }
        finally
        {
            options.Dispose();
        }
    }

    /// <summary>Where the model came from (for messages).</summary>
    public string Source { get; }

    /// <summary>The zoo model name recorded at export.</summary>
    public string Model { get; }

    /// <summary>The zoo dataset key (<c>cifar</c>, <c>imagenet</c>, <c>fashion-mnist</c>).</summary>
    public LogitStd.Core.Domain.DatasetKind Dataset { get; }

    /// <summary>(C, H, W) of one image.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>One name per logit.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The normalisation the model expects its input to have had.</summary>
    public Normalization Normalization { get; }

    /// <summary>All metadata_props of the file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The graph's output names.</summary>
    public IReadOnlyList<string> OutputNames => session.OutputNames;

    /// <summary>Runs a normalised batch of <paramref name="count"/> images (row-major N×C×H×W); returns the named output, row-major N×K.</summary>
    public float[] Run(float[] batch, int count, string output = OnnxExporter.LogitsName)
    {
        long[] shape = [count, .. InputShape.Select(d => (long)d)];
        if (batch.LongLength != shape.Aggregate(1L, (a, d) => a * d))
            throw new ArgumentException($"batch holds {batch.Length} values, expected {count}×{string.Join("×", InputShape)}", nameof(batch));
        using var input = OrtValue.CreateTensorValueFromMemory(batch, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [OnnxExporter.InputName], [input], [output]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}

/// <summary>An ONNX file that cannot be used: missing, unreadable by ONNX Runtime, or not a LogitStd export.</summary>
public sealed class OnnxModelException(string message) : InputException(message);
