using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Embedding;

/// <summary>
/// A symmetric sparse matrix in compressed rows: row <c>i</c>'s entries are
/// <c>Columns[RowStart[i] .. RowStart[i + 1]]</c> with <c>Values</c> alongside, columns ascending, no diagonal.
/// </summary>
public sealed record SparseAffinities(int Count, int[] RowStart, int[] Columns, double[] Values)
{
    /// <summary>The same pattern with every value multiplied by <paramref name="factor"/> (early exaggeration).</summary>
    public SparseAffinities Scaled(double factor) => this with { Values = Values.Select(v => v * factor).ToArray() };

    /// <summary>The dense <c>Count × Count</c> matrix (tests and the exact gradient on small inputs).</summary>
    public double[,] ToDense()
    {
        var d = new double[Count, Count];
        for (int i = 0; i < Count; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++) d[i, Columns[e]] = Values[e];
        return d;
    }
}

/// <summary>
/// t-SNE's input affinities (van der Maaten 2014, §3; scikit-learn's <c>_joint_probabilities_nn</c>):
/// each point's <c>k = min(N − 1, ⌊3·perplexity⌋ + 1)</c> nearest neighbours by Euclidean distance, a
/// Gaussian conditional <c>p_j|i ∝ exp(−β_i‖x_i − x_j‖²)</c> over them whose precision β_i is found by
/// bisection so that its entropy is ln(perplexity), then <c>P = (P_cond + P_condᵀ) / Σ</c>.
/// </summary>
public static class Affinities
{
    /// <summary>scikit-learn's bisection: up to 100 steps, stopping at |H − ln perplexity| ≤ 1e-5 nats.</summary>
    const int SearchSteps = 100;
    const double EntropyTolerance = 1e-5;

    /// <summary>The number of neighbours each point's conditional distribution covers.</summary>
    public static int NeighbourCount(int n, double perplexity) => Math.Min(n - 1, (int)(3.0 * perplexity + 1.0));

    /// <summary>The joint affinities of the rows of <paramref name="x"/> (<c>[N, D]</c>, any float type).</summary>
    public static SparseAffinities Compute(Tensor x, double perplexity)
    {
        int n = (int)x.shape[0];
        if (n < 2) throw new ArgumentException($"t-SNE needs at least 2 points, got {n}");
        if (!(perplexity > 0)) throw new ArgumentException($"perplexity must be positive, got {perplexity}");
        int k = NeighbourCount(n, perplexity);
        var (indices, squared) = NearestNeighbours(x, k);
        var conditional = new double[n * k];
        Parallel.For(0, n, i => Conditional(squared.AsSpan(i * k, k), perplexity, conditional.AsSpan(i * k, k)));
        return Symmetrize(n, k, indices, conditional);
    }

    /// <summary>
    /// The k nearest neighbours of each row (self excluded) and their squared Euclidean distances,
    /// nearest first (ties: lower index first). BLAS proposes k + 16 candidates per row (all pairs, in
    /// float64, 1,024 rows at a time so that 10,000 points need 80 MB, not 800); their distances are then
    /// summed again here in a fixed order, because a BLAS product's last bits can change from one process
    /// to the next (its kernels depend on the buffers' alignment) and t-SNE would amplify them.
    /// </summary>
    public static (int[] Indices, double[] Squared) NearestNeighbours(Tensor x, int k)
    {
        int n = (int)x.shape[0], d = (int)x.shape[1];
        int m = Math.Min(n - 1, k + 16);
        var candidates = new int[n * m];
        double[] rows;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var xs = x.to(CPU).to_type(ScalarType.Float64).contiguous();
            rows = xs.data<double>().ToArray();
            var squares = new double[n];
            var origin = new double[d];
            for (int i = 0; i < n; i++) squares[i] = SquaredDistance(rows.AsSpan(i * d, d), origin);
            var norms = tensor(squares);
            const int block = 1024;
            for (int r0 = 0; r0 < n; r0 += block)
            {
                using var inner = NewDisposeScope();
                int r1 = Math.Min(n, r0 + block);
                // ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b: only to rank candidates.
                var d2 = norms[r0..r1].unsqueeze(1) + norms.unsqueeze(0) - 2.0 * xs[r0..r1].matmul(xs.t());
                var self = arange(r0, r1, ScalarType.Int64);
                d2.index_put_(double.PositiveInfinity, self - r0, self);
                var ids = d2.topk(m, 1, largest: false, sorted: true).indexes.contiguous().data<long>().ToArray();
                for (int t = 0; t < ids.Length; t++) candidates[r0 * m + t] = (int)ids[t];
            }
        }
        var indices = new int[n * k];
        var squared = new double[n * k];
        Parallel.For(0, n, i =>
        {
            var exact = new (double D2, int J)[m];
            for (int t = 0; t < m; t++)
            {
                int j = candidates[i * m + t];
                exact[t] = (SquaredDistance(rows.AsSpan(i * d, d), rows.AsSpan(j * d, d)), j);
            }
            Array.Sort(exact);
            for (int t = 0; t < k; t++) (squared[i * k + t], indices[i * k + t]) = exact[t];
        });
        return (indices, squared);
    }

    /// <summary>Σ (a_c − b_c)², summed in index order.</summary>
    static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int c = 0; c < a.Length; c++)
        {
            double diff = a[c] - b[c];
            sum += diff * diff;
        }
        return sum;
    }

    /// <summary>
    /// <c>p_j|i = exp(−β d_j) / Σ exp(−β d_j)</c> over the neighbours' squared distances <paramref name="d"/>,
    /// β bisected (doubling or halving until bracketed, as scikit-learn's <c>_binary_search_perplexity</c>)
    /// until the entropy <c>H = ln Σ + β Σ d_j p_j</c> is ln(perplexity). Returns the final β.
    /// </summary>
    public static double Conditional(ReadOnlySpan<double> d, double perplexity, Span<double> p)
    {
        double desired = Math.Log(perplexity);
        double beta = 1.0, betaMin = double.NegativeInfinity, betaMax = double.PositiveInfinity;
        for (int step = 0; step < SearchSteps; step++)
        {
            double sum = 0;
            for (int j = 0; j < d.Length; j++) sum += p[j] = Math.Exp(-d[j] * beta);
            // All neighbours so far that exp underflows: scikit-learn's 1e-8 floor keeps ln finite.
            if (sum == 0) sum = 1e-8;
            double weighted = 0;
            for (int j = 0; j < d.Length; j++)
            {
                p[j] /= sum;
                weighted += d[j] * p[j];
            }
            double diff = Math.Log(sum) + beta * weighted - desired;
            if (Math.Abs(diff) <= EntropyTolerance) break;
            if (diff > 0)
            {
                betaMin = beta;
                beta = double.IsPositiveInfinity(betaMax) ? beta * 2 : (beta + betaMax) / 2;
            }
            else
            {
                betaMax = beta;
                beta = double.IsNegativeInfinity(betaMin) ? beta / 2 : (beta + betaMin) / 2;
            }
        }
        return beta;
    }

    /// <summary><c>P = (C + Cᵀ) / ΣC</c> for the k-neighbour conditional matrix C, as compressed rows.
    /// Entries are sorted by (row, column) so that the result does not depend on thread timing.</summary>
    static SparseAffinities Symmetrize(int n, int k, int[] indices, double[] conditional)
    {
        int m = n * k;
        var keys = new long[2 * m];
        var values = new double[2 * m];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < k; t++)
            {
                int e = i * k + t, j = indices[e];
                keys[2 * e] = (long)i * n + j;
                keys[2 * e + 1] = (long)j * n + i;
                values[2 * e] = values[2 * e + 1] = conditional[e];
            }
        Array.Sort(keys, values);
        var rowStart = new int[n + 1];
        var columns = new List<int>(2 * m);
        var merged = new List<double>(2 * m);
        for (int e = 0; e < keys.Length; e++)
        {
            if (e > 0 && keys[e] == keys[e - 1])
            {
                merged[^1] += values[e];
                continue;
            }
            int row = (int)(keys[e] / n);
            rowStart[row + 1]++;
            columns.Add((int)(keys[e] % n));
            merged.Add(values[e]);
        }
        for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
        double total = 0;
        foreach (var v in merged) total += v;
        total = Math.Max(total, double.Epsilon);
        return new SparseAffinities(n, rowStart, columns.ToArray(), merged.Select(v => v / total).ToArray());
    }
}
