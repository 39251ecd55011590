namespace LogitStd.Shell.Runs;

/// <summary>Reads a run's <c>metrics.csv</c> (docs/run-folder.md), the file <see cref="MetricsLog"/> writes.</summary>
public static class EpochMetricsReader
{
    /// <summary>Every row of <paramref name="path"/>. The loss terms are the <c>loss_*</c> columns after
    /// <c>loss_total</c>, whatever the objective's term names are.</summary>
    public static IReadOnlyList<EpochMetrics> Read(string path)
    {
        var csv = CsvFile.Read(path, "the trainer writes metrics.csv after the first finished epoch");
        int epoch = csv.Column("epoch"), lr = csv.Column("lr"), total = csv.Column("loss_total"), train = csv.Column("train_top1"),
            top1 = csv.Column("test_top1"), top5 = csv.Column("test_top5"), loss = csv.Column("test_loss"),
            temperature = csv.Column("ctkd_temperature"), seconds = csv.Column("epoch_seconds");
        // logit_std and the grad_* columns came later: a run folder written before them has none.
        int logitStd = Array.IndexOf(csv.Header, "logit_std");
        var terms = csv.Header.Select((h, i) => (h, i)).Where(c => c.h.StartsWith(MetricsLog.TermPrefix, StringComparison.Ordinal) && c.i != total).ToList();
        var grads = csv.Header.Select((h, i) => (h, i)).Where(c => c.h.StartsWith(MetricsLog.GradientPrefix, StringComparison.Ordinal)).ToList();
        var rows = csv.Rows
            .Select(r => new EpochMetrics(
                csv.Int(r.Line, r.Fields, epoch), csv.Double(r.Line, r.Fields, lr), csv.Double(r.Line, r.Fields, total),
                terms.Select(t => new KeyValuePair<string, double>(t.h[MetricsLog.TermPrefix.Length..], csv.Double(r.Line, r.Fields, t.i))).ToList(),
                csv.Double(r.Line, r.Fields, train), csv.Double(r.Line, r.Fields, top1), csv.Double(r.Line, r.Fields, top5),
                csv.Double(r.Line, r.Fields, loss), csv.NullableDouble(r.Line, r.Fields, temperature), csv.Double(r.Line, r.Fields, seconds),
                logitStd < 0 ? null : csv.NullableDouble(r.Line, r.Fields, logitStd),
                grads.Count == 0 ? null : grads.Select(g => new KeyValuePair<string, double>(g.h[MetricsLog.GradientPrefix.Length..], csv.Double(r.Line, r.Fields, g.i))).ToList()))
            .ToList();
        if (rows.Count == 0) throw new RunFolderException(path, null, "no epoch rows after the header");
        return rows;
    }
}
