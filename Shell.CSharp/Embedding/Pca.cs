namespace LogitStd.Shell.Embedding;

/// <summary>
/// The two leading principal components, computed here in a fixed summation order rather than by
/// BLAS/LAPACK, whose last bits can vary between processes (t-SNE, started from them, would amplify
/// the difference): the covariance as dot products of the centred columns, then subspace iteration
/// on it with a Rayleigh-Ritz step; each component signed so its largest-magnitude loading is positive
/// (scikit-learn's <c>svd_flip</c>).
/// </summary>
public static class Pca
{
    const int MaxIterations = 2000;
    const double Tolerance = 1e-13;

    /// <summary>The rows of <paramref name="x"/> (<c>n × d</c>, row-major) projected on their first two
    /// principal components: <c>(p0, q0, p1, q1, …)</c>.</summary>
    public static double[] Project2(double[] x, int n, int d)
    {
        if (d < 2) throw new ArgumentException($"PCA to 2 components needs at least 2 features, got {d}");
        var columns = new double[d][];
        for (int c = 0; c < d; c++)
        {
            var col = new double[n];
            double mean = 0;
            for (int i = 0; i < n; i++) mean += col[i] = x[i * d + c];
            mean /= n;
            for (int i = 0; i < n; i++) col[i] -= mean;
            columns[c] = col;
        }
        var cov = new double[d, d];
        Parallel.For(0, d, a =>
        {
            for (int b = a; b < d; b++) cov[a, b] = cov[b, a] = Dot(columns[a], columns[b]) / Math.Max(n - 1, 1);
        });
        var (v1, v2) = LeadingPair(cov, d);
        var y = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            double p = 0, q = 0;
            for (int c = 0; c < d; c++)
            {
                p += columns[c][i] * v1[c];
                q += columns[c][i] * v2[c];
            }
            (y[2 * i], y[2 * i + 1]) = (p, q);
        }
        return y;
    }

    /// <summary>The eigenvectors of the two largest eigenvalues of the symmetric <paramref name="c"/>.</summary>
    public static (double[] First, double[] Second) LeadingPair(double[,] c, int d)
    {
        // A start that no real covariance is orthogonal to in both vectors: the diagonal's two largest axes.
        var order = Enumerable.Range(0, d).OrderByDescending(i => c[i, i]).ThenBy(i => i).ToArray();
        var u = new double[d];
        var w = new double[d];
        u[order[0]] = 1;
        w[order[1]] = 1;
        for (int step = 0; step < MaxIterations; step++)
        {
            var (nu, nw) = (Multiply(c, u, d), Multiply(c, w, d));
            Orthonormalize(nu, nw);
            double change = 0;
            for (int i = 0; i < d; i++) change = Math.Max(change, Math.Max(Math.Abs(Math.Abs(nu[i]) - Math.Abs(u[i])), Math.Abs(Math.Abs(nw[i]) - Math.Abs(w[i]))));
            (u, w) = (nu, nw);
            if (change < Tolerance) break;
        }
        // Rayleigh-Ritz in span(u, w): the 2 × 2 matrix [[a, b], [b, e]] and its eigenvectors.
        var cu = Multiply(c, u, d);
        var cw = Multiply(c, w, d);
        double a = Dot(u, cu), b = Dot(u, cw), e = Dot(w, cw);
        double theta = 0.5 * Math.Atan2(2 * b, a - e);
        double cos = Math.Cos(theta), sin = Math.Sin(theta);
        var first = new double[d];
        var second = new double[d];
        for (int i = 0; i < d; i++)
        {
            first[i] = cos * u[i] + sin * w[i];
            second[i] = -sin * u[i] + cos * w[i];
        }
        return (Signed(first), Signed(second));
    }

    static double[] Multiply(double[,] c, double[] v, int d)
    {
        var r = new double[d];
        for (int i = 0; i < d; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += c[i, j] * v[j];
            r[i] = s;
        }
        return r;
    }

    static void Orthonormalize(double[] u, double[] w)
    {
        Scale(u, 1.0 / Math.Sqrt(Dot(u, u)));
        double p = Dot(u, w);
        for (int i = 0; i < w.Length; i++) w[i] -= p * u[i];
        Scale(w, 1.0 / Math.Sqrt(Dot(w, w)));
    }

    static void Scale(double[] v, double f)
    {
        for (int i = 0; i < v.Length; i++) v[i] *= f;
    }

    static double[] Signed(double[] v)
    {
        int largest = 0;
        for (int i = 1; i < v.Length; i++) if (Math.Abs(v[i]) > Math.Abs(v[largest])) largest = i;
        if (v[largest] < 0) Scale(v, -1);
        return v;
    }

    /// <summary>Σ a_i b_i in four interleaved partial sums (fixed order, so the same bits on every run).</summary>
    static double Dot(double[] a, double[] b)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < a.Length; i += 4)
        {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < a.Length; i++) s0 += a[i] * b[i];
        return (s0 + s1) + (s2 + s3);
    }
}
