using LogitStd.Shell.Models;
using LogitStd.Shell.Training;
using TorchSharp;
using static TorchSharp.torch;
using Obj = LogitStd.Core.Objective;
using Parameter = TorchSharp.Modules.Parameter;

namespace LogitStd.Shell.Bench;

/// <summary>
/// The trainer's own step (<see cref="DistillationStep"/>) on a fixed synthetic batch, with the
/// default experiment's solver (SGD, momentum 0.9, weight decay 5e-4): what <c>logitstd bench</c> times. The
/// data loader is left out on purpose: it is measured on its own (bench/Loader.Bench), and a fixed
/// batch makes the step comparable with the PyTorch peer's. With <c>cachedTeacher</c> the teacher
/// runs once, at construction, and every step receives its logits as a fresh tensor copied from host
/// memory, as the trainer receives a batch's rows of the teacher cache (<c>TeacherCacheFile.Lookup</c>):
/// the step with a warm cache. The step's wiring is the trainer's own (<see cref="StepParts"/>).
/// </summary>
public sealed class BenchStep : IDisposable
{
    readonly Classifier student;
    readonly Classifier? teacher;
    readonly StepParts parts;
    readonly Tensor images;
    readonly Tensor? strongImages;
    readonly Tensor labels;
    readonly float[]? cachedLogits;
    readonly long[] logitShape = [];

    /// <summary>Builds the optimizer and the synthetic batch (seeded, so runs repeat); takes ownership of the models.</summary>
    public BenchStep(Classifier student, Classifier? teacher, Obj.Objective objective, int batchSize, int seed, bool cachedTeacher = false, bool channelsLast = false)
    {
        this.student = student;
        this.teacher = teacher;
        student.train();
        // The trainer's wiring (StepParts): the frozen teacher, CTKD's temperature with the student's
        // parameters, and the default experiment's solver (lr 0.05, momentum 0.9, weight decay 5e-4).
        bool cached = cachedTeacher && teacher is not null;
        parts = new StepParts(student, teacher, objective, Core.Experiments.Default.Solver, torch.CPU,
            teacherRunsInStep: !cached, channelsLast: channelsLast);
        var gen = new Generator((ulong)seed);
        var shape = new long[] { batchSize }.Concat(student.Info.InputShape.Select(d => (long)d)).ToArray();
        images = torch.randn(shape, generator: gen);
        bool strong = Obj.needsStrongView(objective);
        strongImages = strong ? torch.randn(shape, generator: gen) : null;
        labels = torch.randint(0, student.Info.Classes, [batchSize], dtype: int64, generator: gen);
        if (cached)
        {
            if (strong) throw new ArgumentException("MLKD's strong view stays online: a cached configuration has no strong view");
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var logits = teacher!.Infer(images).Logits.contiguous();
            logitShape = logits.shape;
            cachedLogits = logits.data<float>().ToArray();
        }
        BatchSize = batchSize;
        // 6 FLOPs per MAC for the student's training, 2 for the teacher's no-grad forward when it runs; MLKD does both on two views.
        int views = strong ? 2 : 1;
        FlopsPerImage = views * (6.0 * Flops.ForwardMacs(student) + (teacher is not null && cachedLogits is null ? 2.0 * Flops.ForwardMacs(teacher) : 0.0));
    }

    /// <summary>The convolution and linear FLOPs one image costs in this step (<see cref="Flops"/>).</summary>
    public double FlopsPerImage { get; }

    /// <summary>Images consumed by one step.</summary>
    public int BatchSize { get; }

    /// <summary>One step of the trainer; returns the total loss.</summary>
    public double Run()
    {
        using var scope = torch.NewDisposeScope();
        var cached = cachedLogits is null ? null : torch.tensor(cachedLogits, logitShape, float32);
        return parts.Step.Run(images, labels, strongImages, cached, epoch: 1).Total;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        parts.Dispose();
        images.Dispose();
        strongImages?.Dispose();
        labels.Dispose();
        student.Dispose();
        teacher?.Dispose();
    }
}
