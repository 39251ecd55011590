using System.Globalization;
using System.Text;
using LogitStd.Core;
using TorchSharp;

namespace LogitStd.Shell.Runs;

/// <summary>One test image's logit statistics: a row of <c>analysis/*_sample_stats.csv</c>.</summary>
/// <param name="Index">The image's position in the test set.</param>
/// <param name="Label">Its label.</param>
/// <param name="Mean">Mean of its K logits.</param>
/// <param name="Std">Unbiased standard deviation over the K logits (divides by K − 1, as the Z-score does).</param>
/// <param name="Range">max − min of the K logits.</param>
public readonly record struct SampleStats(int Index, int Label, double Mean, double Std, double Range);

/// <summary>The logit statistics behind Figures 3 and 5 (PAPER.md §7), computed from a
/// <see cref="LogitMatrix"/>, and the writers of the run folder's <c>analysis/*_class_means.csv</c>
/// and <c>*_sample_stats.csv</c> (the trainer calls those, so the files and the figures agree).</summary>
public static class LogitStats
{
    /// <summary>The class-mean matrix M (K × K): row <c>l</c> is the mean logit vector over the images
    /// of label <c>l</c>. A label with no image gets a row of NaN rather than a made-up value.</summary>
    public static double[,] ClassMeans(LogitMatrix logits)
    {
        int k = logits.Classes;
        var sums = new double[k, k];
        var counts = new int[k];
        for (int i = 0; i < logits.Samples; i++)
        {
            int l = logits.Label(i);
            counts[l]++;
            for (int j = 0; j < k; j++) sums[l, j] += logits[i, j];
        }
        for (int l = 0; l < k; l++)
            for (int j = 0; j < k; j++)
                sums[l, j] = counts[l] == 0 ? double.NaN : sums[l, j] / counts[l];
        return sums;
    }

    /// <summary>Per image: mean, unbiased std and range of its K logits.</summary>
    public static SampleStats[] PerSample(LogitMatrix logits)
    {
        int k = logits.Classes;
        var stats = new SampleStats[logits.Samples];
        for (int i = 0; i < stats.Length; i++)
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                var x = logits[i, j];
                min = Math.Min(min, x);
                max = Math.Max(max, x);
            }
            var row = new double[k];
            for (int j = 0; j < k; j++) row[j] = logits[i, j];
            stats[i] = new SampleStats(i, logits.Label(i), Statistics.Mean(row), Statistics.SampleStd(row), max - min);
        }
        return stats;
    }

    /// <summary>Every row Z-scored exactly as the distillation losses do it, by the core's
    /// <see cref="Distillation.ZScore"/> in float64: (x − mean) / (1e-7 + std_unbiased).</summary>
    public static LogitMatrix ZScore(LogitMatrix logits)
    {
        int n = logits.Samples, k = logits.Classes;
        var flat = new double[n * k];
        Buffer.BlockCopy(logits.ToArray(), 0, flat, 0, flat.Length * sizeof(double));
        using var scope = torch.NewDisposeScope();
        var z = Distillation.ZScore(torch.tensor(flat, [n, k], torch.float64)).data<double>().ToArray();
        var values = new double[n, k];
        Buffer.BlockCopy(z, 0, values, 0, z.Length * sizeof(double));
        return new LogitMatrix(values, Enumerable.Range(0, n).Select(logits.Label).ToArray());
    }

    /// <summary>|M_student − M_teacher| with the diagonal zeroed (Figure 3, row 2): how far the
    /// student's mean logit for each (label, class) pair is from the teacher's, off the true class.</summary>
    public static double[,] ClassMeanGap(double[,] student, double[,] teacher)
    {
        int k = student.GetLength(0);
        if (student.GetLength(1) != k || teacher.GetLength(0) != k || teacher.GetLength(1) != k)
            throw new ArgumentException("both class-mean matrices must be K × K with the same K");
        var gap = new double[k, k];
        for (int l = 0; l < k; l++)
            for (int j = 0; j < k; j++)
                gap[l, j] = l == j ? 0 : Math.Abs(student[l, j] - teacher[l, j]);
        return gap;
    }

    /// <summary>Writes <c>*_class_means.csv</c>: header <c>logit_0..logit_{K-1}</c>, then the K rows of
    /// <see cref="ClassMeans"/> (invariant culture, round-trip precision).</summary>
    public static void WriteClassMeans(string path, LogitMatrix logits)
    {
        var m = ClassMeans(logits);
        int k = logits.Classes;
        var sb = new StringBuilder();
        sb.AppendJoin(',', Enumerable.Range(0, k).Select(j => $"logit_{j.ToString(CultureInfo.InvariantCulture)}")).Append('\n');
        for (int l = 0; l < k; l++)
            sb.AppendJoin(',', Enumerable.Range(0, k).Select(j => Number(m[l, j]))).Append('\n');
        WriteAtomically(path, sb.ToString());
    }

    /// <summary>Writes <c>*_sample_stats.csv</c>: header <c>index,label,mean,std,range</c>, one row per image.</summary>
    public static void WriteSampleStats(string path, LogitMatrix logits)
    {
        var sb = new StringBuilder("index,label,mean,std,range\n");
        foreach (var s in PerSample(logits))
            sb.Append(CultureInfo.InvariantCulture, $"{s.Index},{s.Label},{Number(s.Mean)},{Number(s.Std)},{Number(s.Range)}\n");
        WriteAtomically(path, sb.ToString());
    }

    private static string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    // A run interrupted mid-write must not leave a truncated file that later reads as valid.
    private static void WriteAtomically(string path, string text) => Persistence.Atomic.WriteText(path, text);
}
