using BenchmarkDotNet.Attributes;
using LogitStd.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Bench;

/// <summary>
/// The losses alone at the paper's CIFAR-100 shape (B = 64, K = 100, float32), forward and backward
/// to the student logits, each inside a dispose scope as in a training step. The teacher logits and
/// labels are fixed; the student logits are a leaf whose gradient is cleared before each backward
/// so every invocation does the same work.
/// </summary>
public class LossBenchmarks
{
    const int B = 64, K = 100;
    Tensor student = null!, studentStrong = null!, teacher = null!, teacherStrong = null!, labels = null!;

    /// <summary>Fixed random logits (teacher spread wider than the student's, as after training) and labels.</summary>
    [GlobalSetup]
    public void Setup()
    {
        // B·K = 6,400 elements is below libtorch's parallel grain size (32,768), so the loss kernels
        // run on one thread whatever the setting; fixing it keeps the numbers independent of the machine.
        torch.set_num_threads(1);
        var g = new Generator(11);
        student = torch.randn([B, K], generator: g).requires_grad_(true);
        studentStrong = torch.randn([B, K], generator: g).requires_grad_(true);
        teacher = torch.randn([B, K], generator: g) * 3;
        teacherStrong = torch.randn([B, K], generator: g) * 3;
        labels = torch.randint(0, K, [B], dtype: int64, generator: g);
    }

    static void Backward(Tensor loss, params Tensor[] leaves)
    {
        foreach (var leaf in leaves)
            using (var grad = leaf.grad)
                grad?.zero_();
        loss.backward();
    }

    /// <summary>Z-score of the student logits, then the sum's backward.</summary>
    [Benchmark(Description = "zscore")]
    public void ZScore()
    {
        using var scope = torch.NewDisposeScope();
        Backward(Distillation.ZScore(student).sum(), student);
    }

    /// <summary>Vanilla KD, T = 4.</summary>
    [Benchmark(Baseline = true, Description = "kd T=4")]
    public void Kd()
    {
        using var scope = torch.NewDisposeScope();
        Backward(Distillation.Kd(student, teacher, 4.0), student);
    }

    /// <summary>KD with logit standardization, τ = 2.</summary>
    [Benchmark(Description = "kd+LS tau=2")]
    public void KdLs()
    {
        using var scope = torch.NewDisposeScope();
        Backward(Distillation.Kd(student, teacher, 2.0, standardize: true), student);
    }

    /// <summary>The KD objective with LS as trained: 0.1·CE + 9·KD(z-score, τ = 2).</summary>
    [Benchmark(Description = "0.1·CE + 9·KD+LS")]
    public void KdObjectiveLs()
    {
        using var scope = torch.NewDisposeScope();
        Backward(Distillation.KdObjective(student, teacher, labels, 2.0, 0.1, 9.0, standardize: true), student);
    }

    /// <summary>DKD, α = 1, β = 8, T = 4.</summary>
    [Benchmark(Description = "dkd")]
    public void Dkd()
    {
        using var scope = torch.NewDisposeScope();
        Backward(Distillation.Dkd(student, teacher, labels, 1.0, 8.0, 4.0), student);
    }

    /// <summary>The full MLKD objective (two views, 5 temperatures, instance/class/batch levels).</summary>
    [Benchmark(Description = "mlkd objective")]
    public void Mlkd()
    {
        using var scope = torch.NewDisposeScope();
        Backward(Distillation.MlkdObjective(student, studentStrong, teacher, teacherStrong, labels, 4.0, 0.1, 0.9), student, studentStrong);
    }
}
