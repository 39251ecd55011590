using LogitStd.Core;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.TeacherCache;
using LogitStd.Shell.Runs;
using TorchSharp;
using static TorchSharp.torch;
using Exp = LogitStd.Core.Experiment;
using Obj = LogitStd.Core.Objective;
using Parameter = TorchSharp.Modules.Parameter;

namespace LogitStd.Shell.Training;

/// <summary>
/// What one run trains with, created and disposed in one place: the optimizer over the student's
/// parameters (and CTKD's learnable temperature), the training and test loaders, the teacher's
/// logits (from the persistent teacher cache when the run has one, else in memory when they are the
/// same every epoch), the step, the metrics log and the TensorBoard writer.
/// </summary>
sealed class TrainingSession : IDisposable
{
    public TrainingSession(TrainSetup setup, TextWriter log)
    {
        var exp = setup.Experiment;
        var s = exp.Solver;
        Objective = exp.Objective;
        bool strong = Objectives.NeedsStrongView(Objective);
        // The step's wiring, shared with `logitstd bench` (StepParts): frozen teacher, parameters, SGD, step.
        parts = new StepParts(setup.Student, setup.Teacher, Objective, s, setup.Device,
            teacherRunsInStep: true, logTermGradients: exp.LogTermGradients, channelsLast: exp.ChannelsLast);
        TrainLoader = new DataLoader(setup.Train, DatasetCatalog.TrainTransform(exp.Dataset), s.BatchSize, shuffle: true, seed: exp.Seed,
            workers: setup.Workers, strongTransform: strong ? DatasetCatalog.StrongTransform(exp.Dataset.Name) : null);
        TestLoader = new DataLoader(setup.Test, DatasetCatalog.TestTransform(exp.Dataset.Name), Math.Max(s.BatchSize, 256),
            shuffle: false, seed: exp.Seed, workers: setup.Workers);
        if (setup.TeacherCache is { } cacheDir && setup.Teacher is not null)
        {
            // The weak view's (image, view) decides the teacher's logits; MLKD's strong view stays online.
            var views = TrainLoader.Transform as IViewTransform
                ?? throw new ArgumentException($"the {exp.Dataset.Name} training transform has no finite set of views, so it has no teacher cache");
            Cache = TeacherCacheStore.Ensure(cacheDir, exp.Models.TeacherWeights.Value, setup.Teacher, setup.Train, views, setup.Device, log);
        }
        // A transform that does not augment (one view) shows the teacher the same image every epoch: compute its logits once.
        TeacherLogits = setup.Teacher is not null && Cache is null && !strong && !DatasetCatalog.Augments(TrainLoader.Transform)
            ? AllTeacherLogits(setup.Teacher, setup.Train, DatasetCatalog.TrainTransform(exp.Dataset), setup.Workers, setup.Device) : null;
        Metrics = new MetricsLog(setup.Run.Path, Step.TermNames, exp.LogTermGradients);
        Board = torch.utils.tensorboard.SummaryWriter(setup.Run.PathOf(Runs.RunFiles.Events));
    }

    readonly StepParts parts;

    public Obj.Objective Objective { get; }
    public Parameter? TemperatureParam => parts.TemperatureParam;
    public TorchSharp.Modules.SGD Optimizer => parts.Optimizer;
    public DataLoader TrainLoader { get; }
    public DataLoader TestLoader { get; }

    /// <summary>The persistent cache of the teacher's logits per (image, view), complete, or null.</summary>
    public TeacherCacheFile? Cache { get; }

    /// <summary>The teacher's logits for every training image in dataset order, [N, K] on the device, or null.</summary>
    public Tensor? TeacherLogits { get; }
    public DistillationStep Step => parts.Step;
    public MetricsLog Metrics { get; }
    public TorchSharp.Modules.SummaryWriter Board { get; }

    /// <summary>CTKD's (t_start, t_end), for the temperature the metrics log.</summary>
    public (double Start, double End) CtkdRange =>
        Objectives.CtkdRange(Objective);

    /// <summary>The teacher's logits for every training image under <paramref name="oneView"/>, a transform with a single view.</summary>
    static Tensor AllTeacherLogits(Classifier teacher, ImageDataset train, IImageTransform oneView, int workers, Device device)
    {
        using var loader = new DataLoader(train, oneView, 512, shuffle: false, seed: 0, workers: workers);
        var parts = new List<Tensor>();
        using (torch.no_grad())
            foreach (var batch in loader.Epoch(0))
                using (var b = batch)
                using (var scope = torch.NewDisposeScope())
                    parts.Add(teacher.Infer(b.Images.to(device)).Logits.MoveToOuterDisposeScope());
        var all = torch.cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    public void Dispose()
    {
        TeacherLogits?.Dispose();
        Cache?.Dispose();
        TestLoader.Dispose();
        TrainLoader.Dispose();
        parts.Dispose();
    }
}
