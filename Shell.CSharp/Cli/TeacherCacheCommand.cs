using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using LogitStd.Shell.TeacherCache;
using TorchSharp;
using Cache = LogitStd.Core.TeacherCacheCli;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd teacher-cache build</c>: computes a frozen teacher's logits for every (image, view) of
/// a training split into the cache folder, so that every run, method and seed distilling from that
/// teacher reads them instead of running the teacher (<c>distill --teacher-cache DIR</c>). Resumable:
/// a killed build keeps its finished chunks. Returns 0 or throws (exit codes: <see cref="ExitCodes"/>).
/// </summary>
public static class TeacherCacheCommand
{
    public static int Run(Cache.BuildOptions o, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(o.Teacher)) throw new MissingFileException("teacher checkpoint", o.Teacher);
        var model = o.TeacherModel.ToNullable() ?? Checkpoints.Inspect(o.Teacher).ModelName
            ?? throw new UsageException($"teacher-cache build: {o.Teacher} is a PyTorch checkpoint, which does not record its architecture: add --teacher-model NAME");
        torch.set_num_threads(o.Threads.ToNullable() ?? Environment.ProcessorCount);
        var (train, _) = DatasetCatalog.Open(o.Dataset, o.DataDir.ToNullable());
        if (o.TrainSubset.ToNullable() is int subset)
        {
            if (subset > train.Count) throw new UsageException($"teacher-cache build: --train-subset {subset} exceeds the {train.Count} training images of {train.Name}");
            train = ImageDatasetSubset.Random(train, subset, o.Seed); // as `train --train-subset --seed` draws it
        }
        // The trainer's own training transform (one owner: DatasetCatalog); the grammar admits only datasets whose transform has views.
        var transform = (IViewTransform)DatasetCatalog.TrainTransform(o.Dataset, o.Augment);
        using var teacher = ModelZoo.Create(model, train.Classes);
        Checkpoints.EnsureFits(teacher, o.Teacher, train.Classes);
        Checkpoints.LoadInto(teacher, o.Teacher);
        teacher.eval();
        stdout.WriteLine($"teacher-cache build: {model} from {o.Teacher} on {train.Name} {train.Split} ({train.Count} images × {transform.ViewCount} views)");
        using var cache = TeacherCacheStore.Ensure(o.CacheDir, o.Teacher, teacher, train, transform, torch.CPU, stdout);
        return 0;
    }
}
