using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Embedding;

/// <summary>How the embedding starts: the data's first two principal components, or Gaussian noise.</summary>
public enum TsneInit { Pca, Random }

/// <summary>
/// t-SNE's settings, defaulting to scikit-learn's <c>TSNE()</c> (1.2): perplexity 30, early exaggeration
/// 12 for the first 250 iterations, 1,000 iterations, learning rate <c>max(N / 12 / 4, 50)</c>, θ = 0.5,
/// PCA initialisation scaled to std 1e-4. <see cref="Theta"/> = 0 makes the repulsion exact (O(N²)).
/// </summary>
public sealed record TsneSettings
{
    public double Perplexity { get; init; } = 30;
    public double EarlyExaggeration { get; init; } = 12;
    public int ExplorationIterations { get; init; } = 250;
    public int Iterations { get; init; } = 1000;
    /// <summary>Null: scikit-learn's "auto", <c>max(N / early exaggeration / 4, 50)</c>.</summary>
    public double? LearningRate { get; init; }
    public double Theta { get; init; } = 0.5;
    public TsneInit Init { get; init; } = TsneInit.Pca;
    /// <summary>The random initialisation's generator seed (the PCA one draws nothing).</summary>
    public long Seed { get; init; }
    /// <summary>Threads for the gradient; the result is the same for any count.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public static TsneSettings Default { get; } = new();

    /// <summary>The learning rate used for <paramref name="n"/> points.</summary>
    public double LearningRateFor(int n) => LearningRate ?? Math.Max(n / EarlyExaggeration / 4.0, 50.0);
}

/// <summary>An embedding (<c>(x0, y0, x1, y1, …)</c>), its final KL divergence, the iterations run,
/// the KL at every check (each 50th iteration, exaggerated P during the first stage), and the seconds
/// spent before the iterations (neighbours, affinities, PCA; 0 when they were given).</summary>
public sealed record TsneResult(double[] Embedding, double Kl, int Iterations, IReadOnlyList<(int Iteration, double Kl)> History, double SetupSeconds = 0);

/// <summary>
/// t-SNE (van der Maaten &amp; Hinton 2008; Barnes-Hut, van der Maaten 2014), optimised as scikit-learn's
/// <c>_gradient_descent</c>: momentum 0.5 during early exaggeration and 0.8 after, per-coordinate gains
/// (+0.2 where the gradient changed sign against the last update, ×0.8 where it did not, at least 0.01),
/// both reset between the stages; a stage stops early when the KL, checked every 50 iterations, has not
/// improved for 300 iterations (250 in the first stage) or the gradient norm is below 1e-7. Deterministic.
/// </summary>
public static class Tsne
{
    const int CheckEvery = 50;
    const int PatienceAfterExaggeration = 300;
    const double MinGradientNorm = 1e-7;
    const double MinGain = 0.01;

    /// <summary>Embeds the rows of <paramref name="x"/> (<c>[N, D]</c>) in 2-D.</summary>
    public static TsneResult Run(Tensor x, TsneSettings s)
    {
        if (x.dim() != 2 || x.shape[1] < 2) throw new ArgumentException($"t-SNE needs [N, D] data with D ≥ 2, got [{string.Join(", ", x.shape)}]");
        // Timed apart: with wide features the neighbour search, not the iterations, can dominate.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var p = Affinities.Compute(x, s.Perplexity);
        var y0 = Initial(x, s);
        double setup = watch.Elapsed.TotalSeconds;
        return Run(p, y0, s) with { SetupSeconds = setup };
    }

    /// <summary>Optimises <paramref name="y0"/> against the affinities <paramref name="p"/>.</summary>
    public static TsneResult Run(SparseAffinities p, double[] y0, TsneSettings s)
    {
        var y = (double[])y0.Clone();
        var history = new List<(int, double)>();
        double rate = s.LearningRateFor(p.Count);
        int exploration = Math.Min(s.ExplorationIterations, s.Iterations);
        var (it, _) = Descend(p.Scaled(s.EarlyExaggeration), y, 0, exploration, 0.5, rate, exploration, s, history);
        var (end, kl) = Descend(p, y, it, s.Iterations, 0.8, rate, PatienceAfterExaggeration, s, history);
        // The KL of the final embedding (a stage's checks see it before its last update).
        kl = Objective(p, y, new double[y.Length], withKl: true, s);
        return new TsneResult(y, kl, end, history);
    }

    /// <summary>Iterations <paramref name="from"/> .. <paramref name="to"/> − 1 of gradient descent with
    /// momentum and gains; returns the next iteration and the last checked KL.</summary>
    static (int Next, double Kl) Descend(SparseAffinities p, double[] y, int from, int to, double momentum, double rate,
        int patience, TsneSettings s, List<(int, double)> history)
    {
        var update = new double[y.Length];
        var gains = Enumerable.Repeat(1.0, y.Length).ToArray();
        var grad = new double[y.Length];
        double best = double.PositiveInfinity, kl = double.NaN;
        int bestIteration = from;
        for (int i = from; i < to; i++)
        {
            bool check = (i + 1) % CheckEvery == 0;
            double value = Objective(p, y, grad, check, s);
            double norm = 0;
            for (int c = 0; c < y.Length; c++)
            {
                gains[c] = update[c] * grad[c] < 0 ? gains[c] + 0.2 : gains[c] * 0.8;
                if (gains[c] < MinGain) gains[c] = MinGain;
                norm += grad[c] * grad[c];
                update[c] = momentum * update[c] - rate * gains[c] * grad[c];
                y[c] += update[c];
            }
            if (!check) continue;
            kl = value;
            history.Add((i + 1, kl));
            if (kl < best) (best, bestIteration) = (kl, i);
            else if (i - bestIteration > patience) return (i + 1, kl);
            if (Math.Sqrt(norm) <= MinGradientNorm) return (i + 1, kl);
        }
        return (to, kl);
    }

    static double Objective(SparseAffinities p, double[] y, double[] grad, bool withKl, TsneSettings s) =>
        TsneGradient.BarnesHut(p, y, s.Theta, grad, withKl, s.Threads);

    /// <summary>
    /// The starting embedding: the data's first two principal components (<see cref="Pca"/>), or N(0, 1)
    /// noise from <see cref="TsneSettings.Seed"/>; then scaled so the first coordinate's (population)
    /// std is 1e-4, as scikit-learn does.
    /// </summary>
    public static double[] Initial(Tensor x, TsneSettings s)
    {
        int n = (int)x.shape[0], d = (int)x.shape[1];
        double[] y;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            if (s.Init == TsneInit.Pca)
                y = Pca.Project2(x.to(CPU).to_type(ScalarType.Float64).contiguous().data<double>().ToArray(), n, d);
            else
            {
                using var generator = new Generator((ulong)s.Seed);
                y = randn([n, 2], ScalarType.Float64, generator: generator).data<double>().ToArray();
            }
        }
        double mean = 0, square = 0;
        for (int i = 0; i < n; i++) mean += y[2 * i];
        mean /= n;
        for (int i = 0; i < n; i++) square += (y[2 * i] - mean) * (y[2 * i] - mean);
        double std = Math.Sqrt(square / n);
        double factor = 1e-4 / (std > 0 ? std : 1.0);
        for (int c = 0; c < y.Length; c++) y[c] *= factor;
        return y;
    }
}
