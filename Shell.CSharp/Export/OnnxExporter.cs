using System.Globalization;
using System.Text.Json;
using DatasetKind = LogitStd.Core.Domain.DatasetKind;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;

namespace LogitStd.Shell.Export;

/// <summary>
/// Writes a zoo model as an ONNX file: input <c>images</c> float32 (N, C, H, W) with a symbolic batch
/// <c>N</c>, already normalised as <c>eval</c> normalises (the mean and std are in the metadata),
/// output <c>logits</c> (N, K) and, on request, <c>features</c> (N, D). The graph comes from the
/// model's own <see cref="IOnnxClassifier"/> description, and every state-dict tensor must end up in
/// it, so a block whose description misses a layer fails here rather than exporting a different model.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The opset written unless another is asked for.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The graph input's name.</summary>
    public const string InputName = "images";

    /// <summary>The logits output's name.</summary>
    public const string LogitsName = "logits";

    /// <summary>The optional feature output's name.</summary>
    public const string FeaturesName = "features";

    /// <summary>Metadata keys written into <c>metadata_props</c>.</summary>
    public static class Keys
    {
        public const string Format = "logitstd_format", Model = "model", Dataset = "dataset", Classes = "classes",
            ClassNames = "class_names", InputShape = "input_shape", Mean = "normalization_mean", Std = "normalization_std";
    }

    /// <summary>The value of <see cref="Keys.Format"/>.</summary>
    public const string FormatName = "logitstd-onnx/1";

    /// <summary>The dataset as the format's <c>dataset</c> metadata writes it (<c>cifar</c>, <c>imagenet</c>,
    /// <c>fashion-mnist</c>: the names of format logitstd-onnx/1, kept so that every exported file stays readable).</summary>
    public static string DatasetKey(DatasetKind dataset) =>
        Core.Experiments.Dataset(dataset) switch
        {
            Core.DatasetId.FashionMnist => "fashion-mnist",
            Core.DatasetId.Cifar100 => "cifar",
            Core.DatasetId.ImageFolder => "imagenet",
            _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, "unknown dataset"),
        };

    /// <summary>The dataset a <c>dataset</c> metadata value names, or null for a value the format does not have.</summary>
    public static DatasetKind? DatasetOfKey(string key) =>
        new[] { DatasetKind.Fashion_Mnist, DatasetKind.Cifar100, DatasetKind.Imagefolder }.FirstOrDefault(d => DatasetKey(d) == key);

    /// <summary>Builds the ONNX description of <paramref name="model"/>.</summary>
    /// <exception cref="OnnxExportException">A layer the exporter does not know (named with its type), or a parameter left out.</exception>
    public static OnnxModelDescription Describe(Classifier model, int opset = DefaultOpset, bool includeFeatures = false)
    {
        if (opset is < OnnxEncoder.MinOpset or > OnnxEncoder.MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(opset), opset, $"opset must be in {OnnxEncoder.MinOpset}..{OnnxEncoder.MaxOpset}");
        if (model is not IOnnxClassifier exportable)
            throw new OnnxExportException($"cannot export model '{model.Info.Name}' of type {model.GetType().FullName}: it does not describe its graph (IOnnxClassifier)");
        var g = new OnnxGraphBuilder(InputName, model.Info.InputShape);
        var (logits, feature) = exportable.ExportOnnx(g, g.Input);
        var left = model.state_dict().Keys.Where(k => !g.ConsumedKeys.Contains(k)).ToList();
        if (left.Count > 0)
            throw new OnnxExportException($"model '{model.Info.Name}': its graph description leaves out {left.Count} state-dict tensor(s): {string.Join(", ", left.Take(8))}");
        if (logits.Shape.Count != 1 || logits.Shape[0] != model.Info.Classes)
            throw new OnnxExportException($"model '{model.Info.Name}': the graph's logits have shape ({string.Join(", ", logits.Shape)}), expected ({model.Info.Classes})");

        var nodes = g.Nodes.ToList();
        var outputs = new List<OnnxValueInfo>();
        Rename(nodes, logits.Name, LogitsName);
        outputs.Add(new OnnxValueInfo(LogitsName, [null, logits.Shape[0]]));
        if (includeFeatures)
        {
            nodes.Add(new OnnxNode("Identity", FeaturesName, [feature.Name], [FeaturesName], []));
            outputs.Add(new OnnxValueInfo(FeaturesName, [null, feature.Shape[0]]));
        }
        var input = new OnnxValueInfo(InputName, [null, .. model.Info.InputShape.Select(d => (long?)d)]);
        return new OnnxModelDescription(model.Info.Name, nodes, g.Initializers, [input], outputs, opset, Metadata(model), ProducerVersion());
    }

    /// <summary>The serialized ONNX model.</summary>
    public static byte[] Export(Classifier model, int opset = DefaultOpset, bool includeFeatures = false) =>
        OnnxEncoder.Encode(Describe(model, opset, includeFeatures));

    /// <summary>Writes the ONNX file atomically; returns its size in bytes.</summary>
    public static long Write(Classifier model, string path, int opset = DefaultOpset, bool includeFeatures = false)
    {
        var bytes = Export(model, opset, includeFeatures);
        Atomic.Write(path, s => s.Write(bytes));
        return bytes.LongLength;
    }

    private static void Rename(List<OnnxNode> nodes, string from, string to)
    {
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (n.Outputs.Contains(from) || n.Inputs.Contains(from))
                nodes[i] = n with { Inputs = [.. n.Inputs.Select(v => v == from ? to : v)], Outputs = [.. n.Outputs.Select(v => v == from ? to : v)] };
        }
    }

    private static List<KeyValuePair<string, string>> Metadata(Classifier model)
    {
        var norm = Normalization.For(model.Info.Dataset);
        static string Join(IEnumerable<float> xs) => string.Join(",", xs.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        return
        [
            new(Keys.Format, FormatName),
            new(Keys.Model, model.Info.Name),
            new(Keys.Dataset, DatasetKey(model.Info.Dataset)),
            new(Keys.Classes, model.Info.Classes.ToString(CultureInfo.InvariantCulture)),
            new(Keys.ClassNames, JsonSerializer.Serialize(ClassNames.For(model.Info.Dataset, model.Info.Classes))),
            new(Keys.InputShape, string.Join(",", model.Info.InputShape)),
            new(Keys.Mean, Join(norm.Mean)),
            new(Keys.Std, Join(norm.Std)),
        ];
    }

    private static string ProducerVersion() =>
        typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";
}
