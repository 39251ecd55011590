using System.Globalization;
using System.Text.Json;

namespace LogitStd.Shell.Runs;

/// <summary>One finished epoch's metrics (a row of metrics.csv / metrics.jsonl). <see cref="LogitStd"/>:
/// the mean over the epoch's training images of the per-image std of the student's raw logits (null
/// in run folders written before it was logged); <see cref="TermGradients"/>: per term, the mean over
/// the epoch's steps of the norm of its gradient at the student's logits (null unless the experiment
/// sets <c>log_term_gradients</c>).</summary>
public sealed record EpochMetrics(
    int Epoch, double Lr, double LossTotal, IReadOnlyList<KeyValuePair<string, double>> Terms,
    double TrainTop1, double TestTop1, double TestTop5, double TestLoss, double? CtkdTemperature, double EpochSeconds,
    double? LogitStd = null, IReadOnlyList<KeyValuePair<string, double>>? TermGradients = null);

/// <summary>
/// The per-epoch metrics as CSV and JSON lines. Each epoch's row is added (both files rewritten atomically) before the
/// epoch's checkpoint is written, so a resumed run first truncates the logs to the checkpoint's epoch.
/// </summary>
public sealed class MetricsLog
{
    readonly string csvPath, jsonlPath;
    readonly IReadOnlyList<string> termNames;
    readonly bool termGradients;

    /// <param name="runDir">The run folder.</param>
    /// <param name="termNames">The objective's term names, in order (the <c>loss_*</c> columns).</param>
    /// <param name="termGradients">Whether the rows carry <c>grad_&lt;term&gt;</c> columns.</param>
    public MetricsLog(string runDir, IReadOnlyList<string> termNames, bool termGradients = false)
    {
        csvPath = Path.Combine(runDir, RunFiles.Metrics);
        jsonlPath = Path.Combine(runDir, RunFiles.MetricsJsonl);
        this.termNames = termNames;
        this.termGradients = termGradients;
    }

    /// <summary>The prefix of a loss term's column: <c>loss_kd</c> for the term <c>kd</c>.</summary>
    public const string TermPrefix = "loss_";

    /// <summary>The prefix of a term's gradient-norm column: <c>grad_kd</c> for the term <c>kd</c>.</summary>
    public const string GradientPrefix = "grad_";

    string Header => CsvFile.Line(new[] { "epoch", "lr", "loss_total" }
        .Concat(termNames.Select(t => TermPrefix + t))
        .Concat(new[] { "train_top1", "test_top1", "test_top5", "test_loss", "ctkd_temperature", "logit_std" })
        .Concat(termGradients ? termNames.Select(t => GradientPrefix + t) : [])
        .Append("epoch_seconds")); // last, so that a comparison of two runs can drop the one column that differs

    static string F(double v) => CsvFile.Number(v);

    readonly List<string> csvRows = [];
    readonly List<string> jsonRows = [];

    /// <summary>
    /// Keeps the rows of epochs up to <paramref name="lastEpoch"/> (those of the checkpoint a resume
    /// starts from) and drops the rest: an epoch logged after the last checkpoint is trained again.
    /// A row that does not parse names the file and line (a run folder edited by hand or damaged).
    /// </summary>
    public void TruncateAfter(int lastEpoch)
    {
        csvRows.Clear();
        jsonRows.Clear();
        if (lastEpoch > 0)
        {
            csvRows.AddRange(Keep(csvPath, lastEpoch, skipHeader: true, line => line.Split(',')[0]));
            jsonRows.AddRange(Keep(jsonlPath, lastEpoch, skipHeader: false, line =>
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.GetProperty("epoch").GetRawText();
            }));
        }
        Flush();
    }

    static List<string> Keep(string path, int lastEpoch, bool skipHeader, Func<string, string> epochOf)
    {
        var kept = new List<string>();
        if (!File.Exists(path)) return kept;
        List<string> lines;
        using (var reader = new StreamReader(SafeIO.BoundedRead.Open(path, long.MaxValue, "metrics file")))
            lines = SafeIO.LineReader.Lines(reader, CsvFile.MaxLineChars, path).ToList();
        for (int i = skipHeader ? 1 : 0; i < lines.Count; i++)
        {
            if (lines[i].Length == 0) continue;
            string field;
            try { field = epochOf(lines[i]); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new RunFolderException(path, i + 1, $"not a metrics row ({e.Message})");
            }
            if (!int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
                throw new RunFolderException(path, i + 1, $"the epoch '{field}' is not a number");
            if (epoch <= lastEpoch) kept.Add(lines[i]);
        }
        return kept;
    }

    /// <summary>Adds one epoch's row to both files (each rewritten atomically: a kill never leaves half a row).</summary>
    public void Append(EpochMetrics m)
    {
        var cells = new List<string> { m.Epoch.ToString(CultureInfo.InvariantCulture), F(m.Lr), F(m.LossTotal) };
        cells.AddRange(termNames.Select(t => F(m.Terms.First(kv => kv.Key == t).Value)));
        cells.AddRange([F(m.TrainTop1), F(m.TestTop1), F(m.TestTop5), F(m.TestLoss), m.CtkdTemperature is double c ? F(c) : "",
            m.LogitStd is double s ? F(s) : ""]);
        if (termGradients) cells.AddRange(termNames.Select(t => F(Gradient(m, t))));
        cells.Add(F(m.EpochSeconds));
        csvRows.Add(CsvFile.Line(cells));
        var obj = new Dictionary<string, object?>
        {
            ["epoch"] = m.Epoch, ["lr"] = m.Lr, ["loss_total"] = m.LossTotal,
        };
        foreach (var (k, v) in m.Terms) obj[TermPrefix + k] = v;
        obj["train_top1"] = m.TrainTop1; obj["test_top1"] = m.TestTop1; obj["test_top5"] = m.TestTop5;
        obj["test_loss"] = m.TestLoss; obj["ctkd_temperature"] = m.CtkdTemperature; obj["logit_std"] = m.LogitStd;
        if (termGradients) foreach (var t in termNames) obj[GradientPrefix + t] = Gradient(m, t);
        obj["epoch_seconds"] = m.EpochSeconds;
        jsonRows.Add(JsonSerializer.Serialize(obj));
        Flush();
    }

    static double Gradient(EpochMetrics m, string term) =>
        (m.TermGradients ?? throw new ArgumentException($"epoch {m.Epoch}: the metrics log has gradient columns but the row has no term gradients"))
        .First(kv => kv.Key == term).Value;

    void Flush()
    {
        Persistence.Atomic.WriteText(csvPath, string.Join("\n", new[] { Header }.Concat(csvRows)) + "\n");
        Persistence.Atomic.WriteText(jsonlPath, string.Concat(jsonRows.Select(r => r + "\n")));
    }
}
