using System.Globalization;
using System.Text;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Runs;
using static TorchSharp.torch;

namespace LogitStd.Shell.Training;

/// <summary>
/// What the figures need, written at the end of a run (docs/run-folder.md): the test-set logits of the
/// final student and of the teacher, one row per image in dataset order, their class-mean logit
/// matrices and per-sample logit mean, std and range.
/// </summary>
public static class Analysis
{
    public static void Write(RunOutput run, Classifier student, Classifier? teacher, DataLoader test, Device device)
    {
        Directory.CreateDirectory(run.AnalysisDir);
        WriteModel(run, "student", student, test, device);
        if (teacher is not null) WriteModel(run, "teacher", teacher, test, device);
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
    public static EvalResult WriteLogits(string path, Classifier model, DataLoader loader, Device device, bool includeLabel, Action<Tensor, Tensor>? onLogits)
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
            });
        });
        return result;
    }
}
