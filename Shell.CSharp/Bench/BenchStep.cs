using LogitStd.Shell.Models;
using LogitStd.Shell.Training;
using TorchSharp;
using static TorchSharp.torch;
using Obj = LogitStd.Core.Objective;

namespace LogitStd.Shell.Bench;

/// <summary>
/// The trainer's own step (<see cref="DistillationStep"/>) on a fixed synthetic batch, with the
/// trainer's solver (SGD, momentum 0.9, weight decay 5e-4): what <c>logitstd bench</c> times. The
/// data loader is left out on purpose: it is measured on its own (bench/Loader.Bench), and a fixed
/// batch makes the step comparable with the PyTorch peer's.
/// </summary>
public sealed class BenchStep : IDisposable
{
    readonly Classifier student;
    readonly Classifier? teacher;
    readonly optim.Optimizer optimizer;
    readonly DistillationStep step;
    readonly Tensor images;
    readonly Tensor? strongImages;
    readonly Tensor labels;

    /// <summary>Builds the optimizer and the synthetic batch (seeded, so runs repeat); takes ownership of the models.</summary>
    public BenchStep(Classifier student, Classifier? teacher, Obj.Objective objective, int batchSize, int seed)
    {
        this.student = student;
        this.teacher = teacher;
        student.train();
        teacher?.eval();
        var parameters = student.parameters().ToList();
        // The trainer's solver for every CIFAR/Fashion-MNIST preset: lr 0.05, momentum 0.9, wd 5e-4.
        optimizer = optim.SGD(parameters, 0.05, 0.9, 0.0, 5e-4, false);
        step = new DistillationStep(student, teacher, objective, optimizer, parameters, temperatureParam: null);
        var gen = new Generator((ulong)seed);
        var shape = new long[] { batchSize }.Concat(student.Info.InputShape.Select(d => (long)d)).ToArray();
        images = torch.randn(shape, generator: gen);
        strongImages = step.NeedsStrongView ? torch.randn(shape, generator: gen) : null;
        labels = torch.randint(0, student.Info.Classes, [batchSize], dtype: int64, generator: gen);
        BatchSize = batchSize;
    }

    /// <summary>Images consumed by one step.</summary>
    public int BatchSize { get; }

    /// <summary>One step of the trainer; returns the total loss.</summary>
    public double Run() => step.Run(images, labels, strongImages, teacherLogits: null, epoch: 1).Total;

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
