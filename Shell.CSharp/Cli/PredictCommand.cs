using System.Globalization;
using LogitStd.Shell.Data;
using LogitStd.Shell.Export;
using LogitStd.Shell.Models;
using LogitStd.Shell.Persistence;
using TorchSharp;

namespace LogitStd.Shell.Cli;

/// <summary>
/// <c>logitstd predict</c>: the top-k classes and softmax probabilities of each image, from an
/// exported ONNX file or a checkpoint. Images are PNG/JPEG files (a file or a folder of them) or
/// one record of an IDX (Fashion-MNIST) or CIFAR-100 binary file chosen with <c>--index</c>; they
/// go through the transform <c>eval</c> uses, and one whose channel count or size does not fit the
/// model is refused with what was expected (no silent conversion).
/// </summary>
public static class PredictCommand
{
    public static int Run(Core.DeployCli.PredictOptions o, TextWriter stdout, TextWriter stderr)
    {
        var onnx = o.Onnx.ToNullable();
        var weights = o.Weights.ToNullable();
        foreach (var file in new[] { onnx, weights }.OfType<string>())
            if (!File.Exists(file)) throw new MissingFileException("file", file);
        if (!File.Exists(o.Images) && !Directory.Exists(o.Images)) throw new MissingFileException("image file or folder", o.Images);
        var threads = o.Threads.ToNullable() ?? 1;
        torch.set_num_threads(threads);
        {
            using var classifier = onnx is not null
                ? ImageClassifier.FromOnnx(onnx, threads)
                : ImageClassifier.FromCheckpoint(o.Model.ToNullable()!, weights!);
            var index = o.Index.ToNullable();
            var images = Collect(o.Images, index, out var usage);
            if (usage is not null) throw new UsageException($"predict: {usage}");
            var transform = classifier.Transform();
            var (c, h, w) = (classifier.InputShape[0], classifier.InputShape[1], classifier.InputShape[2]);
            stdout.WriteLine($"model      {classifier.Name} ({(onnx is not null ? $"ONNX Runtime, {onnx}" : $"TorchSharp, {weights}")})");
            foreach (var (label, load) in images)
            {
                var image = load();
                if (image.Channels != c || (!classifier.Resizes && (image.Height != h || image.Width != w)))
                    throw new InputMismatchException($"{label}: a {Describe(image.Channels)} {image.Width}×{image.Height} image, but {classifier.Name} expects "
                        + $"{Describe(c)} {(classifier.Resizes ? "images (any size: resized to 256, centre-cropped to 224)" : $"{w}×{h} images")}");
                var input = new float[c * h * w];
                var random = new SampleRandom(0);
                transform.Apply(image, input, ref random);
                var probabilities = Softmax(classifier.Logits(input, 1));
                stdout.WriteLine(label);
                var top = probabilities.Select((p, k) => (p, k)).OrderByDescending(t => t.p).ThenBy(t => t.k).Take(o.Top).ToList();
                for (int r = 0; r < top.Count; r++)
                {
                    var name = classifier.ClassNames[top[r].k];
                    stdout.WriteLine($"  {r + 1,2}. {name,-16} {(100 * top[r].p).ToString("F2", CultureInfo.InvariantCulture),6}%");
                }
            }
            return 0;
        }
    }

    private static string Describe(int channels) => channels switch
    {
        1 => "1-channel (greyscale)",
        3 => "3-channel (RGB)",
        _ => $"{channels}-channel",
    };

    /// <summary>The images to classify, each with its label and a loader; a usage problem comes back in <paramref name="usage"/>.</summary>
    private static List<(string Label, Func<ImageView> Load)> Collect(string path, int? index, out string? usage)
    {
        usage = null;
        if (Directory.Exists(path) || ImageFile.IsImage(path))
        {
            if (index is not null) { usage = "--index selects a record of an IDX or CIFAR-100 file; PNG/JPEG images are classified whole"; return []; }
            var files = Directory.Exists(path)
                ? Directory.GetFiles(path).Where(ImageFile.IsImage).OrderBy(f => f, StringComparer.Ordinal).ToList()
                : [path];
            if (files.Count == 0) throw new DatasetException($"{path}: the folder holds no PNG or JPEG files");
            return [.. files.Select(f => (f, (Func<ImageView>)(() => ImageFile.Decode(f))))];
        }
        if (index is not { } i) { usage = $"{path} is a dataset file: choose the image with --index I"; return []; }
        ImageDataset data;
        if (path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)) data = Cifar100.ReadFile(path, "predict");
        else
        {
            (byte[] pixels, int count, int rows, int cols) idx;
            try { idx = IdxFile.ReadImages(path); }
            catch (DatasetException e) { throw new DatasetException($"{path}: not a PNG/JPEG image, an IDX image file or a CIFAR-100 .bin file ({e.Message})"); }
            var (pixels, count, rows, cols) = idx;
            data = new InMemoryImageDataset("idx", "predict", path, pixels, new int[count], ["?"], 1, rows, cols);
        }
        if (i >= data.Count) throw new DatasetException($"{path}: --index {i} out of range: the file holds {data.Count:N0} images");
        return [($"{path}[{i}]", () => data.GetImage(i))];
    }

    private static double[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }
}
