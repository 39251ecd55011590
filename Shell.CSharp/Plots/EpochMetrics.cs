namespace LogitStd.Shell.Plots;

/// <summary>The columns of one <c>metrics.csv</c> row that the figures use (accuracies in percent).</summary>
public sealed record EpochMetrics(int Epoch, double TestTop1, double TestLoss)
{
    /// <summary>Reads every row of a run's <c>metrics.csv</c>. Other columns (the loss terms, which
    /// differ per objective) are ignored, so the reader does not break when an objective gains a term.</summary>
    public static IReadOnlyList<EpochMetrics> Read(string path)
    {
        var csv = CsvFile.Read(path, "the trainer writes metrics.csv after the first finished epoch");
        int epoch = csv.Column("epoch"), top1 = csv.Column("test_top1"), loss = csv.Column("test_loss");
        var rows = csv.Rows
            .Select(r => new EpochMetrics(csv.Int(r.Line, r.Fields, epoch), csv.Double(r.Line, r.Fields, top1), csv.Double(r.Line, r.Fields, loss)))
            .ToList();
        if (rows.Count == 0) throw new RunFolderException(path, null, "no epoch rows after the header");
        return rows;
    }
}
