using System.Globalization;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using LogitStd.Shell.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd eval</c>: top-1, top-5, mean loss, and the mean and spread over images of each image's
/// logit mean and std; <c>--save-logits</c> writes one row of K logits per image in dataset order,
/// <c>--save-features</c> one row of the D pooled penultimate features (the t-SNE's input).
/// A checkpoint that does not fit the model or the dataset is rejected before any work.
/// </summary>
public static class EvalCommand
{
    public static int Run(Core.Cli.EvalOptions o, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(o.Weights)) throw new MissingFileException("checkpoint", o.Weights);
        torch.set_num_threads(o.Threads.ToNullable() ?? Environment.ProcessorCount);
        {
            var dataDir = o.DataDir.ToNullable();
            ImageDataset data;
            if (Core.Experiments.Dataset(o.Dataset) == Core.DatasetId.Cifar100 && dataDir is not null && File.Exists(dataDir) && dataDir.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
                data = DatasetCatalog.OpenForCheck(o.Dataset, dataDir)[0]; // a single CIFAR-100 binary file
            else
                data = o.Split.IsTrain ? DatasetCatalog.Open(o.Dataset, dataDir).Train : DatasetCatalog.OpenTest(o.Dataset, dataDir);
            var model = Checkpoints.LoadForEvaluation(o.Model, o.Weights, data.Classes);
            var shape = model.Info.InputShape;
            if (shape[0] != data.Channels)
                throw new UsageException($"eval: {model.Info.Name} takes {shape[0]}-channel images but {data.Name} has {data.Channels}-channel images");
            using var loader = new DataLoader(data, DatasetCatalog.TestTransform(o.Dataset), o.BatchSize, shuffle: false, seed: 0);
            var means = new List<double>();
            var stds = new List<double>();
            void Stats(Tensor logits, Tensor _)
            {
                using var scope = torch.NewDisposeScope();
                var l = logits.to_type(ScalarType.Float64);
                means.AddRange(l.mean([1L]).data<double>().ToArray());
                stds.AddRange(l.std(1L, true, false).data<double>().ToArray());
            }
            var save = o.SaveLogits.ToNullable();
            var saveFeatures = o.SaveFeatures.ToNullable();
            var features = saveFeatures is null ? null : new Analysis.FeatureCollector();
            var result = save is not null
                ? Analysis.WriteLogits(save, model, loader, CPU, includeLabel: false, onLogits: Stats, onFeatures: features is null ? null : features.Add)
                : Evaluation.Run(model, loader, CPU, Stats, features is null ? null : features.Add);
            var featureMatrix = features?.ToMatrix();
            if (saveFeatures is not null) Analysis.WriteFeaturesCsv(saveFeatures, featureMatrix!);
            string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
            static double Std(List<double> xs) => Core.Statistics.SampleStd(xs);
            stdout.WriteLine($"model      {model.Info.Name} ({model.ParameterCount:N0} parameters) from {o.Weights}");
            stdout.WriteLine($"dataset    {data.Name} {data.Split}: {result.Count} images, {data.Classes} classes ({data.Source})");
            stdout.WriteLine($"top-1      {result.Top1.ToString("F2", CultureInfo.InvariantCulture)}%");
            stdout.WriteLine($"top-5      {result.Top5.ToString("F2", CultureInfo.InvariantCulture)}%");
            stdout.WriteLine($"loss       {F(result.Loss)} (mean cross-entropy)");
            stdout.WriteLine($"logit mean per image: mean {F(means.Average())}, std over images {F(Std(means))}");
            stdout.WriteLine($"logit std per image:  mean {F(stds.Average())}, std over images {F(Std(stds))}");
            if (save is not null) stdout.WriteLine($"logits     {result.Count} rows × {data.Classes} columns written to {save}");
            if (saveFeatures is not null) stdout.WriteLine($"features   {featureMatrix!.Rows} rows × {featureMatrix.Columns} columns written to {saveFeatures}");
            return 0;
        }
    }
}
