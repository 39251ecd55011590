using System.Globalization;
using LogitStd.Shell.Export;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using TorchSharp;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd export</c>: loads a checkpoint as <c>eval</c> does (refusing one that does not fit the
/// model, before any work) and writes it as ONNX (the graph from the model's own description) or
/// as a bare PyTorch state dict under mdistiller's key names. The class count is the checkpoint's
/// (rows of its classifier weight), else the zoo's native count for the model.
/// </summary>
public static class ExportCommand
{
    public static int Run(Core.DeployCli.ExportOptions o, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(o.Weights)) throw new MissingFileException("checkpoint", o.Weights);
        torch.set_num_threads(1);
        {
            var entry = ModelZoo.Describe(o.Model);
            var classes = Checkpoints.ReadClassCount(o.Weights) ?? entry.NativeClasses;
            using var model = Checkpoints.LoadForEvaluation(entry.Name, o.Weights, classes);
            var shape = string.Join("×", model.Info.InputShape);
            if (o.Format.IsOnnx)
            {
                var opset = o.Opset.ToNullable() ?? OnnxExporter.DefaultOpset;
                var bytes = OnnxExporter.Write(model, o.Out, opset, o.Features);
                stdout.WriteLine($"wrote {o.Out} ({Size(bytes)}): ONNX opset {opset}, {model.Info.Name} from {o.Weights}");
                stdout.WriteLine($"input      {OnnxExporter.InputName}: float32 [N, {string.Join(", ", model.Info.InputShape)}], normalised as eval does (mean/std in the metadata)");
                stdout.WriteLine($"output     {OnnxExporter.LogitsName}: float32 [N, {model.Info.Classes}]"
                    + (o.Features ? $"; {OnnxExporter.FeaturesName}: float32 [N, {model.Info.FeatureDim}]" : ""));
            }
            else
            {
                Checkpoints.SavePyTorch(model, o.Out);
                var tensors = model.state_dict().Count;
                stdout.WriteLine($"wrote {o.Out} ({Size(new FileInfo(o.Out).Length)}): a bare state dict of {tensors} tensors, {model.Info.Name} ({shape} input, {model.Info.Classes} classes)");
                stdout.WriteLine("load it with: model.load_state_dict(torch.load(path), strict=True)");
            }
            return 0;
        }
    }

    private static string Size(long bytes) =>
        bytes >= 1 << 20
            ? (bytes / (double)(1 << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB"
            : (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB";
}
