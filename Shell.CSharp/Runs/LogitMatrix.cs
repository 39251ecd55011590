using System.Globalization;
using TorchSharp;

namespace LogitStd.Shell.Runs;

/// <summary>The logits of one model on a test set: N rows of K raw logits, each with its label, in
/// dataset order. This is the content of <c>analysis/*_test_logits.csv</c>. Immutable.</summary>
public sealed class LogitMatrix
{
    private readonly double[,] _values;
    private readonly int[] _labels;

    /// <summary>Copies <paramref name="logits"/> ([N, K]) and <paramref name="labels"/> ([N], each in [0, K)).</summary>
    /// <exception cref="ArgumentException">Shapes disagree, K &lt; 2 (the unbiased std needs two
    /// classes), a label is out of range, or a logit is not finite.</exception>
    public LogitMatrix(double[,] logits, IReadOnlyList<int> labels)
    {
        int n = logits.GetLength(0), k = logits.GetLength(1);
        if (labels.Count != n) throw new ArgumentException($"{n} logit rows but {labels.Count} labels", nameof(labels));
        if (k < 2) throw new ArgumentException($"need at least 2 classes, got {k}", nameof(logits));
        for (int i = 0; i < n; i++)
        {
            if (labels[i] < 0 || labels[i] >= k)
                throw new ArgumentException($"label {labels[i]} of row {i} is outside [0, {k})", nameof(labels));
            for (int j = 0; j < k; j++)
                if (!double.IsFinite(logits[i, j])) throw new ArgumentException($"logit [{i}, {j}] is {logits[i, j]}", nameof(logits));
        }
        _values = (double[,])logits.Clone();
        _labels = [.. labels];
    }

    /// <summary>N, the number of test images.</summary>
    public int Samples => _labels.Length;

    /// <summary>K, the number of classes (logits per image).</summary>
    public int Classes => _values.GetLength(1);

    /// <summary>The logit of class <paramref name="k"/> for image <paramref name="i"/>.</summary>
    public double this[int i, int k] => _values[i, k];

    /// <summary>The label of image <paramref name="i"/>.</summary>
    public int Label(int i) => _labels[i];

    /// <summary>A copy of image <paramref name="i"/>'s K logits.</summary>
    public double[] Row(int i)
    {
        var row = new double[Classes];
        for (int k = 0; k < row.Length; k++) row[k] = _values[i, k];
        return row;
    }

    /// <summary>A copy of every logit, [N, K].</summary>
    public double[,] ToArray() => (double[,])_values.Clone();

    /// <summary>From the trainer's tensors: <paramref name="logits"/> [N, K] of any floating type and
    /// <paramref name="labels"/> [N] of any integer type, on any device. The tensors are not disposed.</summary>
    public static LogitMatrix FromTensors(torch.Tensor logits, torch.Tensor labels)
    {
        if (logits.dim() != 2) throw new ArgumentException($"logits must be [N, K], got [{string.Join(", ", logits.shape)}]", nameof(logits));
        using var scope = torch.NewDisposeScope();
        var flat = logits.detach().to(torch.float64).cpu().contiguous().data<double>().ToArray();
        var ys = labels.detach().to(torch.int64).cpu().contiguous().data<long>().ToArray();
        int n = (int)logits.shape[0], k = (int)logits.shape[1];
        var values = new double[n, k];
        Buffer.BlockCopy(flat, 0, values, 0, flat.Length * sizeof(double));
        return new LogitMatrix(values, ys.Select(y => checked((int)y)).ToArray());
    }

    /// <summary>Reads an <c>analysis/*_test_logits.csv</c> (header <c>label,logit_0,...,logit_{K-1}</c>).</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="missingHint">Why the file might be absent, for the error message.</param>
    public static LogitMatrix ReadCsv(string path, string missingHint)
    {
        var csv = CsvFile.Read(path, missingHint);
        var h = csv.Header;
        if (h.Length < 3 || h[0] != "label")
            throw new RunFolderException(path, 1, "the header should be label,logit_0,...,logit_{K-1} with K >= 2");
        int k = h.Length - 1;
        for (int j = 0; j < k; j++)
            if (h[j + 1] != $"logit_{j.ToString(CultureInfo.InvariantCulture)}")
                throw new RunFolderException(path, 1, $"header column {j + 2} is \"{h[j + 1]}\", expected \"logit_{j}\"");
        if (csv.Rows.Count == 0) throw new RunFolderException(path, null, "no rows after the header");
        var values = new double[csv.Rows.Count, k];
        var labels = new int[csv.Rows.Count];
        for (int i = 0; i < csv.Rows.Count; i++)
        {
            var (line, fields) = csv.Rows[i];
            labels[i] = csv.Int(line, fields, 0);
            if (labels[i] < 0 || labels[i] >= k)
                throw new RunFolderException(path, line, $"label {labels[i]} is outside [0, {k}) for {k} logit columns");
            for (int j = 0; j < k; j++) values[i, j] = csv.Double(line, fields, j + 1);
        }
        return new LogitMatrix(values, labels);
    }
}
