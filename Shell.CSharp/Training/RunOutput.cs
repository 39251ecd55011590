using System.Text.Json;
using Exp = LogitStd.Core.Experiment;
using Obj = LogitStd.Core.Objective;

namespace LogitStd.Shell.Training;

/// <summary>A bad output folder: it exists and is not empty, or cannot be written.</summary>
public sealed class RunOutputException(string message) : Exception(message);

/// <summary>Creates and writes the files of one run (docs/run-folder.md; `Plots.RunFolder` reads them).
/// Every write is atomic: temporary file, then rename.</summary>
public sealed class RunOutput
{
    public string Path { get; }
    public string ExperimentFile => System.IO.Path.Combine(Path, "experiment.yaml");
    public string LatestCheckpoint => System.IO.Path.Combine(Path, "checkpoints", "latest.ckpt");
    public string BestCheckpoint => System.IO.Path.Combine(Path, "checkpoints", "best.ckpt");
    public string AnalysisDir => System.IO.Path.Combine(Path, "analysis");
    public string SummaryFile => System.IO.Path.Combine(Path, "summary.json");

    RunOutput(string path) => Path = System.IO.Path.GetFullPath(path);

    /// <summary>A new run: the folder must be absent or empty, and writable.</summary>
    public static RunOutput Create(string path)
    {
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new RunOutputException($"output folder {path} is not empty; choose another --out, or continue that run with --resume {path}");
        if (File.Exists(path)) throw new RunOutputException($"output path {path} is a file, not a folder");
        try
        {
            Directory.CreateDirectory(System.IO.Path.Combine(path, "checkpoints"));
            Directory.CreateDirectory(System.IO.Path.Combine(path, "analysis"));
            var probe = System.IO.Path.Combine(path, ".write-probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunOutputException($"cannot write to output folder {path}: {e.Message}");
        }
        return new RunOutput(path);
    }

    /// <summary>An existing run to resume: it must hold experiment.yaml and a latest checkpoint.</summary>
    public static RunOutput Open(string path)
    {
        var run = new RunOutput(path);
        if (!Directory.Exists(path)) throw new RunOutputException($"--resume {path}: no such folder");
        if (!File.Exists(run.ExperimentFile)) throw new RunOutputException($"--resume {path}: no experiment.yaml, so not a LogitStd run folder");
        if (!File.Exists(run.LatestCheckpoint))
            throw new RunOutputException($"--resume {path}: no checkpoints/latest.ckpt (the run stopped before finishing its first epoch); start it again with --out");
        return run;
    }

    static void WriteAtomic(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }

    public void WriteExperiment(Exp.Experiment e) => WriteAtomic(ExperimentFile, Exp.toYaml(e));

    /// <summary>best.ckpt becomes a copy of latest.ckpt (copy to a temporary file, then rename).</summary>
    public void CopyLatestToBest()
    {
        var tmp = BestCheckpoint + ".tmp";
        File.Copy(LatestCheckpoint, tmp, overwrite: true);
        File.Move(tmp, BestCheckpoint, overwrite: true);
    }

    public void WriteSummary(Exp.Experiment e, int classes, TrainingProgress progress, EvalResult last, bool finished)
    {
        var summary = new Dictionary<string, object?>
        {
            ["name"] = e.Name,
            ["dataset"] = Exp.datasetName(e.Dataset.Name),
            ["classes"] = classes,
            ["student"] = e.Models.Student,
            ["teacher"] = e.Models.Teacher is null ? null : e.Models.Teacher.Value,
            ["method"] = Exp.methodOf(e.Objective),
            ["standardize"] = Exp.standardizes(e.Objective),
            ["seed"] = e.Seed,
            ["epochs"] = e.Solver.Epochs,
            ["epochs_done"] = progress.Epoch,
            ["objective"] = Obj.describe(e.Objective),
            ["best_top1"] = progress.BestTop1,
            ["best_epoch"] = progress.BestEpoch,
            ["final_top1"] = last.Top1,
            ["final_top5"] = last.Top5,
            ["finished"] = finished,
        };
        WriteAtomic(SummaryFile, JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }
}
