using System.Text.Json;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace LogitStd.Shell.Training;

/// <summary>Where a run stands after a finished epoch.</summary>
public sealed record TrainingProgress(int Epoch, double BestTop1, int BestEpoch, int Seed);

/// <summary>
/// The training checkpoint: the project checkpoint of the student plus the sections a resume needs —
/// optimizer state, epoch, best accuracy, and CTKD's temperature parameter. The random state is
/// determined by (seed, epoch): the trainer re-seeds the generator at every epoch start, so a resumed
/// run draws exactly what the uninterrupted run drew.
/// </summary>
public static class TrainingState
{
    const string ProgressSection = "training";
    const string OptimizerSection = "optimizer";
    const string CtkdSection = "ctkd";

    public static void Save(string path, Classifier student, TorchSharp.Modules.SGD optimizer, Parameter? ctkdParam, TrainingProgress progress)
    {
        var optBytes = OptimizerBytes(optimizer);
        Checkpoints.Save(student, path, cp =>
        {
            cp.SetJson(ProgressSection, JsonSerializer.Serialize(progress));
            cp.SetBytes(OptimizerSection, optBytes);
            if (ctkdParam is not null) cp.SetTensors(CtkdSection, [new("global_t", ctkdParam)]);
        });
    }

    /// <summary>Restores student, optimizer and CTKD parameter from <paramref name="path"/>; returns the progress.</summary>
    public static TrainingProgress Restore(string path, Classifier student, TorchSharp.Modules.SGD optimizer, Parameter? ctkdParam)
    {
        using var cp = Checkpoints.Load(path);
        if (!cp.Contains(ProgressSection) || !cp.Contains(OptimizerSection))
            throw new CheckpointFormatException($"{path}: not a training checkpoint (no '{ProgressSection}' or '{OptimizerSection}' section)");
        Checkpoints.CopyInto(student, cp.GetTensors(ProjectCheckpoint.ModelSection), path);
        RestoreOptimizer(optimizer, cp.GetBytes(OptimizerSection).ToArray());
        if (ctkdParam is not null)
        {
            if (!cp.Contains(CtkdSection)) throw new CheckpointFormatException($"{path}: no CTKD temperature section for a CTKD run");
            using (no_grad()) ctkdParam.copy_(cp.GetTensors(CtkdSection)["global_t"]);
        }
        return JsonSerializer.Deserialize<TrainingProgress>(cp.GetJson(ProgressSection))
            ?? throw new CheckpointFormatException($"{path}: empty '{ProgressSection}' section");
    }

    static byte[] OptimizerBytes(TorchSharp.Modules.SGD optimizer)
    {
        var tmp = Path.GetTempFileName();
        try
        {
            optimizer.save_state_dict(tmp);
            return File.ReadAllBytes(tmp);
        }
        finally { File.Delete(tmp); }
    }

    static void RestoreOptimizer(TorchSharp.Modules.SGD optimizer, byte[] bytes)
    {
        var tmp = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(tmp, bytes);
            optimizer.load_state_dict(tmp);
        }
        finally { File.Delete(tmp); }
    }
}
