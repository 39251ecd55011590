using System.Diagnostics;
using System.Globalization;
using LogitStd.Core;
using LogitStd.Shell.Data;
using LogitStd.Shell.Diagnostics;
using LogitStd.Shell.Models;
using LogitStd.Shell.Runs;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;
using Exp = LogitStd.Core.Experiment;
using Obj = LogitStd.Core.Objective;

namespace LogitStd.Shell.Training;

/// <summary>A non-finite loss: training stops, the last good checkpoint stays. The experiment's numbers are at
/// fault (a learning rate too large for the data), not the program: exit 1, naming the epoch and step.</summary>
public sealed class TrainingDivergedException(string message) : InputException(message);

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
    int Threads,
    string? TeacherCache = null);

/// <summary>
/// The training engine: mdistiller's multi-step LR per epoch over the session's SGD, one
/// <see cref="DistillationStep"/> per batch (DKD warm-up, CTKD's learnable temperature and MLKD's two
/// views live in the objective), per-epoch evaluation, metrics, atomic checkpoints, resume, Ctrl+C
/// and divergence handling. <see cref="TrainingSession"/> owns the resources.
/// </summary>
public sealed class Trainer(TrainSetup setup, TextWriter log, Func<bool> cancelRequested)
{
    readonly Exp.Experiment exp = setup.Experiment;

    /// <summary>The generator seed of an epoch: a function of (seed, epoch) only, so a resumed run
    /// draws exactly what an uninterrupted one drew.</summary>
    public static long EpochSeed(int seed, int epoch) => (long)seed * 1_000_003L + epoch;

    public int Run()
    {
        if (setup.Resume && !setup.Run.HasCheckpoint)
        {
            // Before the session exists: it opens the TensorBoard writer in the folder this clears.
            log.WriteLine($"resuming {setup.Run.Path}: no epoch had finished (no checkpoint), so the run starts from its beginning");
            setup.Run.ClearForRestart();
        }
        using var session = new TrainingSession(setup, log);
        var progress = Start(session);
        EvalResult? lastEval = null;
        for (int epoch = progress.Epoch + 1; epoch <= exp.Solver.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            torch.manual_seed(EpochSeed(exp.Seed, epoch));
            double lr = Experiments.LearningRate(exp.Solver, epoch);
            foreach (var g in session.Optimizer.ParamGroups) g.LearningRate = lr;
            var totals = TrainEpoch(session, epoch, progress);
            lastEval = Evaluation.Run(setup.Student, session.TestLoader, setup.Device);
            progress = EndEpoch(session, epoch, lr, totals, lastEval, progress, watch.Elapsed.TotalSeconds);
        }
        if (progress.Epoch == exp.Solver.Epochs && lastEval is null)
        {
            // Resumed after the last checkpoint was written but before the summary said "finished".
            lastEval = Evaluation.Run(setup.Student, session.TestLoader, setup.Device);
            setup.Run.WriteSummary(Summary(progress, lastEval, finished: true));
        }
        KillPoint.Reach("analysis");
        log.WriteLine("writing the test-set logits for the figures (analysis/)");
        Analysis.Write(setup.Run, setup.Student, setup.Teacher, session.TestLoader, setup.Device);
        log.WriteLine($"done: best test top-1 {progress.BestTop1:F2}% at epoch {progress.BestEpoch}; run folder {setup.Run.Path}");
        return 0;
    }

    /// <summary>Restores a resumed run's state and truncates the metrics to the checkpoint's epoch.</summary>
    TrainingProgress Start(TrainingSession session)
    {
        var progress = new TrainingProgress(0, double.NegativeInfinity, 0, exp.Seed, setup.Threads);
        if (setup.Resume && setup.Run.HasCheckpoint)
        {
            progress = TrainingState.Restore(setup.Run.LatestCheckpoint, setup.Student, session.Optimizer, session.TemperatureParam) with { Threads = setup.Threads };
            log.WriteLine($"resuming {setup.Run.Path} after epoch {progress.Epoch} (best test top-1 {progress.BestTop1:F2}% at epoch {progress.BestEpoch})");
        }
        if (session.TeacherLogits is not null)
            log.WriteLine($"teacher logits cached for the {setup.Train.Count} training images (no augmentation: they are the same every epoch)");
        session.Metrics.TruncateAfter(progress.Epoch);
        return progress;
    }

    /// <summary>The running sums of one epoch's steps, each weighted by its batch's image count.</summary>
    sealed record EpochTotals(double LossSum, IReadOnlyDictionary<string, double> TermSums, long Seen, long Correct,
        double LogitStdSum, IReadOnlyDictionary<string, double>? GradientSums);

    EpochTotals TrainEpoch(TrainingSession session, int epoch, TrainingProgress progress)
    {
        setup.Student.train();
        var sums = session.Step.TermNames.ToDictionary(n => n, _ => 0.0);
        var gradSums = session.Step.LogsTermGradients ? session.Step.TermNames.ToDictionary(n => n, _ => 0.0) : null;
        double totalSum = 0, logitStdSum = 0;
        long seen = 0, correct = 0;
        int stepIndex = 0;
        var train = session.TrainLoader;
        ProgressReporter.Run($"epoch {epoch}/{exp.Solver.Epochs}", train.BatchCount, report =>
        {
            foreach (var batch in train.Epoch(epoch))
            {
                using var b = batch;
                stepIndex++;
                KillPoint.Reach("step");
                if (cancelRequested())
                    throw new OperationCanceledException($"interrupted during epoch {epoch}, step {stepIndex}");
                using var scope = torch.NewDisposeScope();
                var cached = session.Cache is { } cache
                    ? cache.Lookup(b.Indices, b.Views!).to(setup.Device)
                    : session.TeacherLogits?.index_select(0, torch.tensor(b.Indices.ToArray(), dtype: int64, device: setup.Device));
                StepResult r;
                try
                {
                    r = session.Step.Run(b.Images.to(setup.Device), b.Labels.to(setup.Device),
                        session.Step.NeedsStrongView ? b.StrongImages!.to(setup.Device) : null, cached, epoch);
                }
                catch (StepDivergedException e)
                {
                    throw Diverged($"{e.What} at epoch {epoch}, step {stepIndex} ({e.Detail})", progress);
                }
                seen += r.Count;
                totalSum += r.Total * r.Count;
                foreach (var (name, value) in r.Terms) sums[name] += value * r.Count;
                if (gradSums is not null && r.TermGradients is { } tg)
                    foreach (var (name, value) in tg) gradSums[name] += value * r.Count;
                logitStdSum += r.LogitStd * r.Count;
                correct += r.Correct;
                report($"loss {totalSum / seen:F4}  acc {100.0 * correct / seen:F2}%");
            }
        });
        return new EpochTotals(totalSum, sums, seen, correct, logitStdSum, gradSums);
    }

    /// <summary>Logs the epoch (metrics, TensorBoard, console), writes its checkpoints and the summary.</summary>
    TrainingProgress EndEpoch(TrainingSession session, int epoch, double lr, EpochTotals totals, EvalResult eval, TrainingProgress progress, double seconds)
    {
        double? temperature = null;
        if (session.TemperatureParam is { } g)
            using (torch.no_grad())
                temperature = Distillation.CtkdTemperature(g, session.CtkdRange.Start, session.CtkdRange.End, 0.0).item<float>();
        long n = totals.Seen;
        var row = new EpochMetrics(epoch, lr, totals.LossSum / n, session.Step.TermNames.Select(nm => new KeyValuePair<string, double>(nm, totals.TermSums[nm] / n)).ToList(),
            100.0 * totals.Correct / n, eval.Top1, eval.Top5, eval.Loss, temperature, seconds, totals.LogitStdSum / n,
            totals.GradientSums?.Select(kv => new KeyValuePair<string, double>(kv.Key, kv.Value / n)).ToList());
        session.Metrics.Append(row);
        var board = session.Board;
        foreach (var (name, value) in row.Terms) board.add_scalar("train/loss_" + name, (float)value, epoch);
        board.add_scalar("train/loss_total", (float)row.LossTotal, epoch);
        board.add_scalar("train/top1", (float)row.TrainTop1, epoch);
        board.add_scalar("train/logit_std", (float)(row.LogitStd ?? double.NaN), epoch);
        foreach (var (name, value) in row.TermGradients ?? []) board.add_scalar("train/grad_" + name, (float)value, epoch);
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
            TrainingState.Save(setup.Run.BestCheckpoint, setup.Student, session.Optimizer, session.TemperatureParam, progress);
            Persistence.Atomic.Copy(setup.Run.BestCheckpoint, setup.Run.LatestCheckpoint);
        }
        else TrainingState.Save(setup.Run.LatestCheckpoint, setup.Student, session.Optimizer, session.TemperatureParam, progress);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}/{exp.Solver.Epochs}  lr {lr:G4}  loss {row.LossTotal:F4}  train {row.TrainTop1:F2}%  test top-1 {eval.Top1:F2}%  top-5 {eval.Top5:F2}%  test loss {eval.Loss:F4}{(temperature is double tt ? $"  T {tt:F3}" : "")}  {row.EpochSeconds:F1}s{(best ? "  (best)" : "")}"));
        setup.Run.WriteSummary(Summary(progress, eval, finished: epoch == exp.Solver.Epochs));
        return progress;
    }

    RunSummary Summary(TrainingProgress progress, EvalResult last, bool finished) => new(
        Name: exp.Name, Dataset: Experiments.DatasetName(exp.Dataset.Name), Classes: setup.Train.Classes, Student: exp.Models.Student,
        Teacher: exp.Models.Teacher.ToNullable(), Method: Experiments.MethodOf(exp.Objective), Standardize: Experiments.Standardizes(exp.Objective),
        Seed: exp.Seed, Epochs: exp.Solver.Epochs, Objective: Objectives.Describe(exp.Objective), BestTop1: progress.BestTop1,
        BestEpoch: progress.BestEpoch, FinalTop1: last.Top1, FinalTop5: last.Top5, Finished: finished, EpochsDone: progress.Epoch);

    TrainingDivergedException Diverged(string what, TrainingProgress progress) => new(
        $"{what}; training stopped. " + (progress.Epoch == 0
            ? "No epoch had finished, so there is no checkpoint."
            : $"The last good checkpoint (epoch {progress.Epoch}) is kept in {setup.Run.LatestCheckpoint}."));
}
