using LogitStd.Core;
using LogitStd.Shell.Models;
using TorchSharp;
using static TorchSharp.torch;
using Obj = LogitStd.Core.Objective;

namespace LogitStd.Shell.Bench;

/// <summary>
/// One training step exactly as <see cref="Training.Trainer"/> takes it, on a fixed synthetic batch:
/// a dispose scope per step, the teacher in eval mode under no-grad (both views for MLKD), the
/// objective's named terms from <see cref="Distillation.Evaluate"/>, their sum, the loss read back for
/// the divergence check, SGD with momentum 0.9 and weight decay 5e-4, and the per-term and accuracy
/// read-backs the trainer logs. The data loader is left out on purpose: it is measured on its own
/// (bench/Loader.Bench), and a fixed batch makes the step comparable with the PyTorch peer.
/// </summary>
public sealed class TrainingStep : IDisposable
{
    readonly Classifier student;
    readonly Classifier? teacher;
    readonly Obj.Objective objective;
    readonly optim.Optimizer optimizer;
    readonly Tensor images;
    readonly Tensor? strongImages;
    readonly Tensor labels;
    readonly bool teacherScope;

    /// <summary>Builds the models' optimizer and the synthetic batch (seeded, so runs repeat).</summary>
    /// <param name="student">The model being trained (put in train mode here).</param>
    /// <param name="teacher">The frozen teacher (put in eval mode here), or null for cross-entropy alone.</param>
    /// <param name="objective">The objective, e.g. <see cref="Objectives.Kd"/>.</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="seed">Seed of the synthetic images and labels.</param>
    /// <param name="teacherScope">Prototype of a change to the trainer's step: run the teacher's forward
    /// in its own dispose scope and keep only its logits, so its activations are freed before the
    /// student's backward (PyTorch frees them as soon as the next layer has run). False: the trainer as it is.</param>
    public TrainingStep(Classifier student, Classifier? teacher, Obj.Objective objective, int batchSize, int seed, bool teacherScope = false)
    {
        this.teacherScope = teacherScope;
        this.student = student;
        this.teacher = teacher;
        this.objective = objective;
        student.train();
        teacher?.eval();
        // The trainer's solver for every CIFAR/Fashion-MNIST preset: lr 0.05, momentum 0.9, wd 5e-4.
        optimizer = optim.SGD(student.parameters(), 0.05, 0.9, 0.0, 5e-4, false);
        var gen = new Generator((ulong)seed);
        var shape = new long[] { batchSize }.Concat(student.Info.InputShape.Select(d => (long)d)).ToArray();
        images = torch.randn(shape, generator: gen);
        strongImages = Obj.needsStrongView(objective) ? torch.randn(shape, generator: gen) : null;
        labels = torch.randint(0, student.Info.Classes, [batchSize], dtype: int64, generator: gen);
        BatchSize = batchSize;
    }

    /// <summary>Images consumed by one step.</summary>
    public int BatchSize { get; }

    /// <summary>One forward, backward and optimizer step; returns the total loss.</summary>
    public double Run()
    {
        using var scope = torch.NewDisposeScope();
        var (logits, _) = student.Forward(images);
        Tensor? tLogits = null, tStrong = null, sStrong = null;
        if (teacher is not null)
            using (torch.no_grad())
            {
                if (teacherScope)
                {
                    tLogits = TeacherLogits(teacher, images);
                    if (strongImages is not null) tStrong = TeacherLogits(teacher, strongImages);
                }
                else
                {
                    tLogits = teacher.Forward(images).Logits;
                    if (strongImages is not null) tStrong = teacher.Forward(strongImages).Logits;
                }
            }
        if (strongImages is not null) sStrong = student.Forward(strongImages).Logits;
        var terms = Distillation.Evaluate(objective, logits, labels, tLogits!, 1, sStrong!, tStrong!, null!);
        var total = terms.Select(kv => kv.Value).Aggregate((a, c) => a + c);
        double value = total.item<float>();
        if (!double.IsFinite(value)) throw new InvalidOperationException($"the benchmark loss became {value}");
        optimizer.zero_grad();
        total.backward();
        optimizer.step();
        // The trainer reads every term and the batch accuracy back each step; so does the benchmark.
        foreach (var (_, t) in terms) _ = t.item<float>();
        _ = logits.argmax(1).eq(labels).sum().item<long>();
        return value;
    }

    static Tensor TeacherLogits(Classifier teacher, Tensor x)
    {
        using var inner = torch.NewDisposeScope();
        return teacher.Forward(x).Logits.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        optimizer.Dispose();
        images.Dispose();
        strongImages?.Dispose();
        labels.Dispose();
        student.Dispose();
        teacher?.Dispose();
    }
}
