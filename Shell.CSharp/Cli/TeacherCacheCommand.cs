using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using LogitStd.Shell.TeacherCache;
using TorchSharp;
using Cache = LogitStd.Core.TeacherCacheCli;
using DatasetKind = LogitStd.Core.Domain.DatasetKind;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd teacher-cache build</c>: computes a frozen teacher's logits for every (image, view) of
/// a training split into the cache folder, so that every run, method and seed distilling from that
/// teacher reads them instead of running the teacher (<c>distill --teacher-cache DIR</c>). Resumable:
/// a killed build keeps its finished chunks. Exit 0; 1 for a missing or damaged file; 2 for bad arguments.
/// </summary>
public static class TeacherCacheCommand
{
    public static int Run(Cache.BuildOptions o, TextWriter stdout, TextWriter stderr)
    {
        int Fail(int code, string message)
        {
            stderr.WriteLine($"error: teacher-cache build: {message}");
            return code;
        }
        if (!File.Exists(o.Teacher)) return Fail(1, $"teacher checkpoint {o.Teacher} not found");
        var model = o.TeacherModel.ToNullable() ?? Checkpoints.Inspect(o.Teacher).ModelName;
        if (model is null) return Fail(2, $"{o.Teacher} is a PyTorch checkpoint, which does not record its architecture: add --teacher-model NAME");
        torch.set_num_threads(o.Threads.ToNullable() ?? Environment.ProcessorCount);
        var kind = o.Dataset.IsCifar100 ? DatasetKind.Cifar100 : DatasetKind.Fashion_Mnist;
        var (train, _) = DatasetCatalog.Open(kind, o.DataDir.ToNullable());
        if (o.TrainSubset.ToNullable() is int subset)
        {
            if (subset > train.Count) return Fail(2, $"--train-subset {subset} exceeds the {train.Count} training images of {train.Name}");
            train = ImageDatasetSubset.Random(train, subset, o.Seed); // as `train --train-subset --seed` draws it
        }
        var transform = (IViewTransform)(kind.IsCifar100 ? Transforms.CifarTrain() : Transforms.FashionMnistTrain(crop: o.Augment, flip: o.Augment));
        Classifier teacher;
        try { teacher = ModelZoo.Create(model, train.Classes); }
        catch (UnknownModelException e) { return Fail(2, e.Message); }
        using (teacher)
        {
            Checkpoints.EnsureFits(teacher, o.Teacher, train.Classes);
            Checkpoints.LoadInto(teacher, o.Teacher);
            teacher.eval();
            stdout.WriteLine($"teacher-cache build: {model} from {o.Teacher} on {train.Name} {train.Split} ({train.Count} images × {transform.ViewCount} views)");
            using var cache = TeacherCacheStore.Ensure(o.CacheDir, o.Teacher, teacher, train, transform, torch.CPU, stdout);
        }
        return 0;
    }
}
