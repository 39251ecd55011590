namespace LogitStd.Shell.Embedding;

/// <summary>
/// The t-SNE objective <c>KL(P ‖ Q) = Σ p_ij ln(p_ij / q_ij)</c>, <c>q_ij = q̃_ij / Z</c>,
/// <c>q̃_ij = (1 + ‖y_i − y_j‖²)⁻¹</c>, <c>Z = Σ_{k≠l} q̃_kl</c>, and its gradient
/// <c>∂KL/∂y_i = 4 Σ_j (p_ij − q_ij) q̃_ij (y_i − y_j)</c> (van der Maaten &amp; Hinton 2008, eq. 5),
/// split as scikit-learn does into the attraction over P's non-zeros and the repulsion
/// <c>Σ_j q̃²_ij (y_i − y_j) / Z</c>. Embeddings are 2-D, stored <c>(x0, y0, x1, y1, …)</c>.
/// Per-point parts are summed in point order, so the results do not depend on the thread count.
/// </summary>
public static class TsneGradient
{
    /// <summary>
    /// The Barnes-Hut gradient (θ &gt; 0 approximates the repulsion; θ = 0 is exact) into
    /// <paramref name="grad"/>; returns the KL divergence when <paramref name="withKl"/>, else NaN.
    /// </summary>
    public static double BarnesHut(SparseAffinities p, double[] y, double theta, double[] grad, bool withKl, int threads)
    {
        int n = p.Count;
        var tree = new QuadTree(y);
        var repulsion = new double[2 * n];
        var zParts = new double[n];
        ForBlocks(n, threads, (start, end) =>
        {
            Span<int> stack = stackalloc int[tree.StackSize];
            for (int i = start; i < end; i++)
            {
                var (fx, fy, z) = tree.Repulsion(y[2 * i], y[2 * i + 1], theta, stack);
                repulsion[2 * i] = fx;
                repulsion[2 * i + 1] = fy;
                zParts[i] = z;
            }
        });
        double zSum = 0;
        for (int i = 0; i < n; i++) zSum += zParts[i];
        var klParts = new double[n];
        ForBlocks(n, threads, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                double ax = 0, ay = 0, kl = 0;
                for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
                {
                    int j = p.Columns[e];
                    double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                    double q = 1.0 / (1.0 + dx * dx + dy * dy), a = p.Values[e] * q;
                    ax += a * dx;
                    ay += a * dy;
                    if (withKl) kl += KlTerm(p.Values[e], q / zSum);
                }
                grad[2 * i] = 4.0 * (ax - repulsion[2 * i] / zSum);
                grad[2 * i + 1] = 4.0 * (ay - repulsion[2 * i + 1] / zSum);
                klParts[i] = kl;
            }
        });
        if (!withKl) return double.NaN;
        double total = 0;
        for (int i = 0; i < n; i++) total += klParts[i];
        return total;
    }

    /// <summary>The exact gradient over all pairs (O(N²); for tests and checks) into
    /// <paramref name="grad"/>; returns the KL divergence.</summary>
    public static double Exact(SparseAffinities p, double[] y, double[] grad)
    {
        int n = p.Count;
        var dense = p.ToDense();
        var qt = new double[n, n];
        double z = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                qt[i, j] = 1.0 / (1.0 + dx * dx + dy * dy);
                z += qt[i, j];
            }
        double kl = 0;
        for (int i = 0; i < n; i++)
        {
            double gx = 0, gy = 0;
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double q = qt[i, j] / z, m = (dense[i, j] - q) * qt[i, j];
                gx += m * (y[2 * i] - y[2 * j]);
                gy += m * (y[2 * i + 1] - y[2 * j + 1]);
                if (dense[i, j] > 0) kl += KlTerm(dense[i, j], q);
            }
            grad[2 * i] = 4.0 * gx;
            grad[2 * i + 1] = 4.0 * gy;
        }
        return kl;
    }

    /// <summary><c>p ln(p / q)</c>; the logarithm's arguments floored at float32's smallest normal, as
    /// scikit-learn does, so that an underflowed q gives a large finite term, not infinity.</summary>
    static double KlTerm(double p, double q) => p * Math.Log(Math.Max(p, 1.1754943508222875e-38) / Math.Max(q, 1.1754943508222875e-38));

    /// <summary>Runs <paramref name="body"/> over [0, n) in contiguous blocks on up to
    /// <paramref name="threads"/> threads; each block writes only its own points.</summary>
    static void ForBlocks(int n, int threads, Action<int, int> body)
    {
        int blocks = Math.Max(1, Math.Min(n, threads * 8));
        if (threads <= 1)
        {
            body(0, n);
            return;
        }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            b => body((int)((long)n * b / blocks), (int)((long)n * (b + 1) / blocks)));
    }
}
