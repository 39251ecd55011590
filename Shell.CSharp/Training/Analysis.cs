using System.Globalization;
using System.Text;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Training;

/// <summary>
/// What the figures need, written at the end of a run (docs/run-folder.md): the test-set logits of the
/// final student and of the teacher, one row per image in dataset order, their class-mean logit
/// matrices and per-sample logit mean, std and range; and the pooled penultimate features of the best
/// student and of the teacher (Figure 4's t-SNE).
/// </summary>
public static class Analysis
{
    public static void Write(RunOutput run, Classifier student, Classifier? teacher, DataLoader test, Device device)
    {
        Directory.CreateDirectory(run.AnalysisDir);
        WriteModel(run, "student", student, test, device);
        WriteBestFeatures(run, student, test, device);
        if (teacher is not null)
        {
            WriteModel(run, "teacher", teacher, test, device);
            FeatureFile.Write(run.PathOf(RunFiles.TestFeatures("teacher")), Features(teacher, test, device));
        }
    }

    /// <summary>
    /// The student's features from <c>checkpoints/best.ckpt</c>, not from the final weights the logits
    /// come from: the paper's figures show the reported model, and the study reports the best epoch.
    /// A run that never wrote a best checkpoint (no epoch finished) has no best model; its final one is used.
    /// </summary>
    static void WriteBestFeatures(RunOutput run, Classifier student, DataLoader test, Device device)
    {
        var path = run.PathOf(RunFiles.TestFeatures("student"));
        if (!File.Exists(run.BestCheckpoint))
        {
            FeatureFile.Write(path, Features(student, test, device));
            return;
        }
        using var best = Persistence.Checkpoints.LoadForEvaluation(student.Info.Name, run.BestCheckpoint, student.Info.Classes);
        best.to(device);
        FeatureFile.Write(path, Features(best, test, device));
    }

    /// <summary>The pooled penultimate feature of every image of <paramref name="loader"/>, in its
    /// (unshuffled, dataset) order, as float32.</summary>
    public static FeatureMatrix Features(Classifier model, DataLoader loader, Device device)
    {
        var collect = new FeatureCollector();
        Evaluation.Run(model, loader, device, onFeatures: collect.Add);
        return collect.ToMatrix();
    }

    /// <summary>Writes <c>feature_0..feature_{D-1}</c> rows, one per image, like <c>eval --save-logits</c>
    /// writes logits (atomic). Shortest round-trip decimals, so the CSV holds exactly the float32 values.</summary>
    public static void WriteFeaturesCsv(string path, FeatureMatrix m)
    {
        Persistence.Atomic.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            w.WriteLine(string.Join(",", Enumerable.Range(0, m.Columns).Select(i => $"feature_{i}")));
            var sb = new StringBuilder();
            for (int r = 0; r < m.Rows; r++)
            {
                sb.Clear();
                for (int c = 0; c < m.Columns; c++) sb.Append(c == 0 ? "" : ",").Append(m[r, c].ToString("R", CultureInfo.InvariantCulture));
                w.WriteLine(sb);
            }
        });
    }

    /// <summary>The model's test logits, class-mean matrix and per-sample statistics (docs/run-folder.md).</summary>
    static void WriteModel(RunOutput run, string role, Classifier model, DataLoader test, Device device)
    {
        var logits = new List<Tensor>();
        var labels = new List<Tensor>();
        WriteLogits(run.PathOf(RunFiles.TestLogits(role)), model, test, device, includeLabel: true,
            onLogits: (l, y) => { logits.Add(l.detach().to(CPU).MoveToOuterDisposeScope()); labels.Add(y.to(CPU).MoveToOuterDisposeScope()); });
        using var all = cat(logits, 0);
        using var ys = cat(labels, 0);
        foreach (var t in logits.Concat(labels)) t.Dispose();
        var matrix = LogitMatrix.FromTensors(all, ys);
        LogitStats.WriteClassMeans(run.PathOf(RunFiles.ClassMeans(role)), matrix);
        LogitStats.WriteSampleStats(run.PathOf(RunFiles.SampleStats(role)), matrix);
    }

    /// <summary>Writes <c>label,logit_0..logit_{K-1}</c> rows for every test image (atomic).</summary>
    public static void WriteLogits(string path, Classifier model, DataLoader loader, Device device) =>
        WriteLogits(path, model, loader, device, includeLabel: true, onLogits: null);

    /// <summary>
    /// Evaluates <paramref name="model"/> over <paramref name="loader"/> (no shuffling: dataset order) and
    /// writes one CSV row per image holding its K logits, preceded by its label when
    /// <paramref name="includeLabel"/>; the header names the columns. The file appears atomically.
    /// </summary>
    public static EvalResult WriteLogits(string path, Classifier model, DataLoader loader, Device device, bool includeLabel, Action<Tensor, Tensor>? onLogits, Action<Tensor>? onFeatures = null)
    {
        EvalResult result = null!;
        Persistence.Atomic.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            bool header = false;
            result = Evaluation.Run(model, loader, device, (logits, labels) =>
            {
                onLogits?.Invoke(logits, labels);
                var k = (int)logits.shape[1];
                if (!header)
                {
                    w.WriteLine((includeLabel ? "label," : "") + string.Join(",", Enumerable.Range(0, k).Select(i => $"logit_{i}")));
                    header = true;
                }
                var values = logits.to(CPU).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
                var ys = labels.to(CPU).data<long>().ToArray();
                var sb = new StringBuilder();
                for (int r = 0; r < ys.Length; r++)
                {
                    sb.Clear();
                    if (includeLabel) sb.Append(ys[r].ToString(CultureInfo.InvariantCulture)).Append(',');
                    for (int c = 0; c < k; c++) sb.Append(c == 0 ? "" : ",").Append(values[r * k + c].ToString("R", CultureInfo.InvariantCulture));
                    w.WriteLine(sb);
                }
            }, onFeatures);
        });
        return result;
    }

    /// <summary>Gathers each batch's features on the CPU as float32 rows.</summary>
    public sealed class FeatureCollector
    {
        readonly List<float> values = [];
        int rows, columns = -1;

        /// <summary>Appends one batch's <c>[B, D]</c> features (a feature map is flattened per image).</summary>
        public void Add(Tensor features)
        {
            using var f = features.detach().flatten(1).to(CPU).to_type(ScalarType.Float32).contiguous();
            int d = (int)f.shape[1];
            if (columns >= 0 && d != columns) throw new InvalidOperationException($"feature size changed from {columns} to {d} between batches");
            columns = d;
            rows += (int)f.shape[0];
            values.AddRange(f.data<float>().ToArray());
        }

        /// <summary>The rows gathered so far.</summary>
        public FeatureMatrix ToMatrix() => new(rows, Math.Max(columns, 0), values.ToArray());
    }
}
