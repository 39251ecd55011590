using System.Diagnostics;
using System.Globalization;
using LogitStd.Core;
using LogitStd.Shell.Data;
using LogitStd.Shell.Diagnostics;
using LogitStd.Shell.Models;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;
using Exp = LogitStd.Core.Experiment;
using Obj = LogitStd.Core.Objective;

namespace LogitStd.Shell.Training;

/// <summary>A non-finite loss: training stops, the last good checkpoint stays.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>Everything one run needs, resolved and validated before any training starts.</summary>
public sealed record TrainSetup(
    Exp.Experiment Experiment,
    RunOutput Run,
    ImageDataset Train,
    ImageDataset Test,
    Classifier Student,
    Classifier? Teacher,
    Device Device,
    int Workers,
    bool Resume,
    int Threads);

/// <summary>
/// The training engine: SGD with momentum and weight decay, mdistiller's multi-step LR per epoch, the
/// objective's named terms (DKD warm-up, CTKD's learnable temperature, MLKD's two views), the
/// teacher in eval mode under no-grad, a dispose scope per step, per-epoch evaluation, metrics,
/// atomic checkpoints, resume, Ctrl+C and divergence handling.
/// </summary>
public sealed class Trainer(TrainSetup setup, TextWriter log, Func<bool> cancelRequested)
{
    readonly Exp.Experiment exp = setup.Experiment;

    /// <summary>The generator seed of an epoch: a function of (seed, epoch) only, so a resumed run
    /// draws exactly what an uninterrupted one drew.</summary>
    public static long EpochSeed(int seed, int epoch) => (long)seed * 1_000_003L + epoch;

    public int Run()
    {
        var objective = exp.Objective;
        bool strong = Obj.needsStrongView(objective);
        bool ctkd = Obj.needsTemperatureParam(objective);
        var termNames = objective.Terms.Select(t => t.Name).ToList();
        var student = setup.Student;
        var teacher = setup.Teacher;

        Parameter? ctkdParam = ctkd ? new Parameter(torch.ones(1, dtype: float32, device: setup.Device)) : null;
        var parameters = student.parameters().ToList();
        if (ctkdParam is not null) parameters.Add(ctkdParam); // CTKD: the temperature trains with the student (same SGD)
        var s = exp.Solver;
        using var optimizer = optim.SGD(parameters, s.Lr, s.Momentum, 0.0, s.WeightDecay, s.Nesterov);

        var metrics = new MetricsLog(setup.Run.Path, termNames);
        var progress = new TrainingProgress(0, double.NegativeInfinity, 0, exp.Seed, setup.Threads);
        if (setup.Resume && setup.Run.HasCheckpoint)
        {
            progress = TrainingState.Restore(setup.Run.LatestCheckpoint, student, optimizer, ctkdParam) with { Threads = setup.Threads };
            log.WriteLine($"resuming {setup.Run.Path} after epoch {progress.Epoch} (best test top-1 {progress.BestTop1:F2}% at epoch {progress.BestEpoch})");
        }
        else if (setup.Resume)
        {
            log.WriteLine($"resuming {setup.Run.Path}: no epoch had finished (no checkpoint), so the run starts from its beginning");
            setup.Run.ClearForRestart();
        }
        metrics.TruncateAfter(progress.Epoch);

        using var train = new DataLoader(setup.Train,
            TrainTransform(exp.Dataset), s.BatchSize, shuffle: true, seed: exp.Seed,
            workers: setup.Workers, strongTransform: strong ? DatasetCatalog.StrongTransform(exp.Dataset.Name) : null);
        using var test = new DataLoader(setup.Test, DatasetCatalog.TestTransform(exp.Dataset.Name), Math.Max(s.BatchSize, 256),
            shuffle: false, seed: exp.Seed, workers: setup.Workers);
        teacher?.eval();
        // Without augmentation the teacher sees the same image every epoch: compute its logits once.
        using var teacherCache = teacher is not null && !strong && CanCacheTeacher(exp.Dataset)
            ? TeacherCache(teacher, setup.Train, exp.Dataset, setup.Workers, setup.Device) : null;
        if (teacherCache is not null) log.WriteLine($"teacher logits cached for the {setup.Train.Count} training images (no augmentation: they are the same every epoch)");
        var step = new DistillationStep(student, teacher, objective, optimizer, parameters, ctkdParam);
        var board = torch.utils.tensorboard.SummaryWriter(Path.Combine(setup.Run.Path, "events"));

        EvalResult? lastEval = null;
        for (int epoch = progress.Epoch + 1; epoch <= s.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            torch.manual_seed(EpochSeed(exp.Seed, epoch));
            double lr = Schedules.multiStepLr(s.Lr, Microsoft.FSharp.Collections.ListModule.OfSeq(s.LrMilestones), s.LrDecayRate, epoch);
            foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;

            student.train();
            var sums = termNames.ToDictionary(n => n, _ => 0.0);
            double totalSum = 0;
            long seen = 0, correct = 0;
            int stepIndex = 0;
            ProgressReporter.Run($"epoch {epoch}/{s.Epochs}", train.BatchCount, report =>
            {
                foreach (var batch in train.Epoch(epoch))
                {
                    using var b = batch;
                    stepIndex++;
                    KillPoint.Reach("step");
                    if (cancelRequested())
                        throw new OperationCanceledException($"interrupted during epoch {epoch}, step {stepIndex}");
                    using var scope = torch.NewDisposeScope();
                    var images = b.Images.to(setup.Device);
                    var labels = b.Labels.to(setup.Device);
                    var cached = teacherCache?.index_select(0, torch.tensor(b.Indices.ToArray(), dtype: int64, device: setup.Device));
                    StepResult r;
                    try
                    {
                        r = step.Run(images, labels, strong ? b.StrongImages!.to(setup.Device) : null, cached, epoch);
                    }
                    catch (StepDivergedException e)
                    {
                        throw Diverged($"{e.What} at epoch {epoch}, step {stepIndex} ({e.Detail})", progress);
                    }
                    seen += r.Count;
                    totalSum += r.Total * r.Count;
                    foreach (var (name, value) in r.Terms) sums[name] += value * r.Count;
                    correct += r.Correct;
                    report($"loss {totalSum / seen:F4}  acc {100.0 * correct / seen:F2}%");
                }
            });

            var eval = Evaluation.Run(student, test, setup.Device);
            double? temperature = null;
            if (ctkdParam is not null)
                using (torch.no_grad())
                    temperature = Distillation.CtkdTemperature(ctkdParam, CtkdStart(objective), CtkdEnd(objective), 0.0).item<float>();
            var row = new EpochMetrics(epoch, lr, totalSum / seen, termNames.Select(nm => new KeyValuePair<string, double>(nm, sums[nm] / seen)).ToList(),
                100.0 * correct / seen, eval.Top1, eval.Top5, eval.Loss, temperature, watch.Elapsed.TotalSeconds);
            metrics.Append(row);
            foreach (var (name, value) in row.Terms) board.add_scalar("train/loss_" + name, (float)value, epoch);
            board.add_scalar("train/loss_total", (float)row.LossTotal, epoch);
            board.add_scalar("train/top1", (float)row.TrainTop1, epoch);
            board.add_scalar("test/top1", (float)eval.Top1, epoch);
            board.add_scalar("test/top5", (float)eval.Top5, epoch);
            board.add_scalar("test/loss", (float)eval.Loss, epoch);
            board.add_scalar("lr", (float)lr, epoch);
            if (temperature is double t) board.add_scalar("ctkd/temperature", (float)t, epoch);

            bool best = eval.Top1 > progress.BestTop1;
            progress = new TrainingProgress(epoch, best ? eval.Top1 : progress.BestTop1, best ? epoch : progress.BestEpoch, exp.Seed, setup.Threads);
            // A new best is written before latest: killed in between, the resume (from latest, one epoch
            // back) trains this epoch again, bit for bit, and writes the same best.
            if (best)
            {
                TrainingState.Save(setup.Run.BestCheckpoint, student, optimizer, ctkdParam, progress);
                Persistence.Atomic.Copy(setup.Run.BestCheckpoint, setup.Run.LatestCheckpoint);
            }
            else TrainingState.Save(setup.Run.LatestCheckpoint, student, optimizer, ctkdParam, progress);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}/{s.Epochs}  lr {lr:G4}  loss {row.LossTotal:F4}  train {row.TrainTop1:F2}%  test top-1 {eval.Top1:F2}%  top-5 {eval.Top5:F2}%  test loss {eval.Loss:F4}{(temperature is double tt ? $"  T {tt:F3}" : "")}  {row.EpochSeconds:F1}s{(best ? "  (best)" : "")}"));
            setup.Run.WriteSummary(exp, setup.Train.Classes, progress, eval, finished: epoch == s.Epochs);
            lastEval = eval;
        }

        if (progress.Epoch == s.Epochs && lastEval is null)
        {
            // Resumed after the last checkpoint was written but before the summary said "finished".
            lastEval = Evaluation.Run(student, test, setup.Device);
            setup.Run.WriteSummary(exp, setup.Train.Classes, progress, lastEval, finished: true);
        }
        KillPoint.Reach("analysis");
        log.WriteLine("writing the test-set logits for the figures (analysis/)");
        Analysis.Write(setup.Run, student, teacher, test, setup.Device);
        log.WriteLine($"done: best test top-1 {progress.BestTop1:F2}% at epoch {progress.BestEpoch}; run folder {setup.Run.Path}");
        return 0;
    }

    /// <summary>The training transform: CIFAR and ImageNet always augment (PAPER.md §4); Fashion-MNIST
    /// crops and flips only when the experiment asks for it.</summary>
    static IImageTransform TrainTransform(Exp.DatasetSpec d) =>
        d.Name.IsFashion_Mnist ? Transforms.FashionMnistTrain(crop: d.Augment, flip: d.Augment) : DatasetCatalog.TrainTransform(d.Name);

    TrainingDivergedException Diverged(string what, TrainingProgress progress) => new(
        $"{what}; training stopped. " + (progress.Epoch == 0
            ? "No epoch had finished, so there is no checkpoint."
            : $"The last good checkpoint (epoch {progress.Epoch}) is kept in {setup.Run.LatestCheckpoint}."));

    static Tensor TeacherLogits(Classifier teacher, Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        return teacher.Forward(images).Logits.MoveToOuterDisposeScope();
    }

    /// <summary>Whether every epoch shows the teacher the same training images (no random transform).</summary>
    static bool CanCacheTeacher(Exp.DatasetSpec d) => d.Name.IsFashion_Mnist && !d.Augment;

    /// <summary>The teacher's logits for every training image, in dataset order, [N, K] on the device.</summary>
    static Tensor TeacherCache(Classifier teacher, ImageDataset train, Exp.DatasetSpec d, int workers, Device device)
    {
        using var loader = new DataLoader(train, DatasetCatalog.TestTransform(d.Name), 512, shuffle: false, seed: 0, workers: workers);
        var parts = new List<Tensor>();
        using (torch.no_grad())
            foreach (var batch in loader.Epoch(0))
                using (var b = batch)
                    parts.Add(TeacherLogits(teacher, b.Images.to(device)));
        var all = torch.cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    static double CtkdStart(Obj.Objective o) => o.Terms.Select(t => t.Term).OfType<Obj.Term.Ctkd>().First().tStart;
    static double CtkdEnd(Obj.Objective o) => o.Terms.Select(t => t.Term).OfType<Obj.Term.Ctkd>().First().tEnd;
}
