using System.Globalization;
using System.Text.Json;

namespace LogitStd.Shell.Training;

/// <summary>One finished epoch's metrics (a row of metrics.csv / metrics.jsonl).</summary>
public sealed record EpochMetrics(
    int Epoch, double Lr, double LossTotal, IReadOnlyList<KeyValuePair<string, double>> Terms,
    double TrainTop1, double TestTop1, double TestTop5, double TestLoss, double? CtkdTemperature, double EpochSeconds);

/// <summary>
/// The per-epoch metrics as CSV and JSON lines. Each epoch's row is appended and flushed before the
/// epoch's checkpoint is written, so a resumed run first truncates the logs to the checkpoint's epoch.
/// </summary>
public sealed class MetricsLog
{
    readonly string csvPath, jsonlPath;
    readonly IReadOnlyList<string> termNames;

    public MetricsLog(string runDir, IReadOnlyList<string> termNames)
    {
        csvPath = Path.Combine(runDir, "metrics.csv");
        jsonlPath = Path.Combine(runDir, "metrics.jsonl");
        this.termNames = termNames;
    }

    string Header => string.Join(",", new[] { "epoch", "lr", "loss_total" }
        .Concat(termNames.Select(t => "loss_" + t))
        .Concat(new[] { "train_top1", "test_top1", "test_top5", "test_loss", "ctkd_temperature", "epoch_seconds" }));

    static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Keeps only the rows of epochs ≤ <paramref name="lastEpoch"/> (creates the files with a header when absent).</summary>
    public void TruncateAfter(int lastEpoch)
    {
        var csv = File.Exists(csvPath) ? File.ReadAllLines(csvPath).Skip(1)
            .Where(l => l.Length > 0 && int.Parse(l.Split(',')[0], CultureInfo.InvariantCulture) <= lastEpoch).ToList() : [];
        File.WriteAllLines(csvPath, new[] { Header }.Concat(csv));
        var jsonl = File.Exists(jsonlPath) ? File.ReadAllLines(jsonlPath)
            .Where(l => l.Length > 0 && JsonDocument.Parse(l).RootElement.GetProperty("epoch").GetInt32() <= lastEpoch).ToList() : [];
        File.WriteAllLines(jsonlPath, jsonl);
    }

    /// <summary>Appends one epoch.</summary>
    public void Append(EpochMetrics m)
    {
        var cells = new List<string> { m.Epoch.ToString(CultureInfo.InvariantCulture), F(m.Lr), F(m.LossTotal) };
        cells.AddRange(termNames.Select(t => F(m.Terms.First(kv => kv.Key == t).Value)));
        cells.AddRange([F(m.TrainTop1), F(m.TestTop1), F(m.TestTop5), F(m.TestLoss), m.CtkdTemperature is double c ? F(c) : "", F(m.EpochSeconds)]);
        File.AppendAllText(csvPath, string.Join(",", cells) + "\n");
        var obj = new Dictionary<string, object?>
        {
            ["epoch"] = m.Epoch, ["lr"] = m.Lr, ["loss_total"] = m.LossTotal,
        };
        foreach (var (k, v) in m.Terms) obj["loss_" + k] = v;
        obj["train_top1"] = m.TrainTop1; obj["test_top1"] = m.TestTop1; obj["test_top5"] = m.TestTop5;
        obj["test_loss"] = m.TestLoss; obj["ctkd_temperature"] = m.CtkdTemperature; obj["epoch_seconds"] = m.EpochSeconds;
        File.AppendAllText(jsonlPath, JsonSerializer.Serialize(obj) + "\n");
    }
}
