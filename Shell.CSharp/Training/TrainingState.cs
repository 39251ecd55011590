using System.Text.Json;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace LogitStd.Shell.Training;

/// <summary>Where a run stands after a finished epoch. <paramref name="Threads"/> is the torch thread
/// count the run trained with: part of its numerical state, since a convolution's or BatchNorm's
/// reductions are split across threads and another count rounds differently (0: not recorded, by
/// checkpoints written before it was).</summary>
public sealed record TrainingProgress(int Epoch, double BestTop1, int BestEpoch, int Seed, int Threads = 0);

/// <summary>
/// The training checkpoint: the project checkpoint of the student plus the sections a resume needs —
/// optimizer state (SGD's momentum buffers), epoch, best accuracy, the thread count, and CTKD's
/// temperature parameter; BatchNorm's running statistics are in the model's state dict. The random
/// state is determined by (seed, epoch): the trainer re-seeds the generator at every epoch start and
/// the loader seeds every order and augmentation from (seed, epoch, index, view), so a resumed run
/// with the same thread count draws and computes exactly what the uninterrupted run did.
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

    /// <summary>The progress recorded in a training checkpoint, without loading any tensor.</summary>
    public static TrainingProgress ReadProgress(string path)
    {
        var (_, json) = ProjectCheckpoint.Inspect(path);
        if (!json.TryGetValue(ProgressSection, out var text))
            throw new CheckpointFormatException($"{path}: not a training checkpoint (no '{ProgressSection}' section)");
        return ParseProgress(path, text);
    }

    static TrainingProgress ParseProgress(string path, string json)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingProgress>(json)
                ?? throw new CheckpointFormatException($"{path}: empty '{ProgressSection}' section");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"{path}: the '{ProgressSection}' section is not valid ({e.Message})", e);
        }
    }

    /// <summary>Restores student, optimizer and CTKD parameter from <paramref name="path"/>; returns the progress.</summary>
    public static TrainingProgress Restore(string path, Classifier student, TorchSharp.Modules.SGD optimizer, Parameter? ctkdParam)
    {
        using var cp = Checkpoints.Load(path);
        if (!cp.Contains(ProgressSection) || !cp.Contains(OptimizerSection))
            throw new CheckpointFormatException($"{path}: not a training checkpoint (no '{ProgressSection}' or '{OptimizerSection}' section)");
        Checkpoints.CopyInto(student, cp.GetTensors(ProjectCheckpoint.ModelSection), path);
        RestoreOptimizer(optimizer, cp.GetBytes(OptimizerSection).ToArray(), path);
        if (ctkdParam is not null)
        {
            if (!cp.Contains(CtkdSection)) throw new CheckpointFormatException($"{path}: no CTKD temperature section for a CTKD run");
            using (no_grad()) ctkdParam.copy_(cp.GetTensors(CtkdSection)["global_t"]);
        }
        return ParseProgress(path, cp.GetJson(ProgressSection));
    }

    static byte[] OptimizerBytes(TorchSharp.Modules.SGD optimizer)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(w);
        return ms.ToArray();
    }

    static void RestoreOptimizer(TorchSharp.Modules.SGD optimizer, byte[] bytes, string path)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            optimizer.load_state_dict(r);
        }
        catch (Exception e) when (e is not InputException)
        {
            // TorchSharp's reader trusts its input; whatever it throws on damaged bytes, the file is at fault.
            throw new CheckpointFormatException($"{path}: the '{OptimizerSection}' section does not fit this run's optimizer ({e.GetType().Name}: {e.Message})", e);
        }
    }
}
