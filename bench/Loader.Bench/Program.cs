// Loader throughput benchmark: augmented CIFAR-format images/s and Fashion-MNIST images/s,
// with one background worker and with one per core. Not a test: run it once on an idle machine,
//   dotnet run --project bench/Loader.Bench -c Release [-- --epochs N]
// and read the table. CPU/wall ≈ the number of busy cores; well below the worker count means the
// machine was shared or the consumer was the bottleneck.
using System.Diagnostics;
using System.Globalization;
using LogitStd.Shell.Data;

int epochs = args.Length == 2 && args[0] == "--epochs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
int cores = Environment.ProcessorCount;
const int batchSize = 64;

// Synthetic CIFAR-format data: the loader's cost does not depend on pixel values, and CIFAR-100 is
// not available offline. 20,000 images keep the run short while amortising start-up.
var rng = new Random(1);
var cifarPixels = new byte[20_000 * Cifar100.ImageBytes];
rng.NextBytes(cifarPixels);
var cifar = new InMemoryImageDataset("cifar100", "train", "synthetic", cifarPixels,
    Enumerable.Range(0, 20_000).Select(i => i % 100).ToArray(),
    Enumerable.Range(0, 100).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray(), 3, 32, 32);

ImageDataset fashion;
string fashionSource;
try
{
    fashion = FashionMnist.Open(null).Train;
    fashionSource = "real, 60,000 training images";
}
catch (DatasetException)
{
    var pixels = new byte[60_000 * 784];
    rng.NextBytes(pixels);
    fashion = new InMemoryImageDataset("fashion-mnist", "train", "synthetic", pixels,
        Enumerable.Range(0, 60_000).Select(i => i % 10).ToArray(), FashionMnist.ClassNames, 1, 28, 28);
    fashionSource = "synthetic (./data/fashion-mnist absent), 60,000 images";
}

Console.WriteLine($"loader throughput, batch {batchSize}, {epochs} epoch(s) per row, {cores} cores, .NET {Environment.Version}");
Console.WriteLine($"CIFAR-format: synthetic, {cifar.Count:N0} images; Fashion-MNIST: {fashionSource}");
Console.WriteLine();
Console.WriteLine($"{"pipeline",-52} {"workers",7} {"images/s",11} {"CPU/wall",9}");

var rows = new (string Name, ImageDataset Data, Func<IImageTransform> Weak, Func<IImageTransform>? Strong)[]
{
    ("CIFAR train: crop+flip+normalise", cifar, Transforms.CifarTrain, null),
    ("CIFAR MLKD: weak + strong (RandAugment 2 + Cutout)", cifar, Transforms.CifarTrain, Transforms.CifarStrong),
    ("Fashion-MNIST: normalise", fashion, Transforms.FashionMnistTest, null),
    ("Fashion-MNIST: crop (pad 2) + flip + normalise", fashion, () => Transforms.FashionMnistTrain(crop: true, flip: true), null),
};
// Untimed warm-up: the first tensor loads libtorch and the first batches JIT-compile the transforms;
// without it the first row measured start-up, not throughput (a first run showed 9× too little).
foreach (var (_, data, weak, strong) in rows)
{
    using var warm = new DataLoader(data, weak(), batchSize, shuffle: true, seed: 0, workers: 1, strong?.Invoke());
    foreach (var batch in warm.Epoch(0).Take(20)) batch.Dispose();
}

foreach (var (name, data, weak, strong) in rows)
    foreach (var workers in cores > 1 ? new[] { 1, cores } : [1])
    {
        using var loader = new DataLoader(data, weak(), batchSize, shuffle: true, seed: 1, workers, strong?.Invoke());
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long images = 0;
        for (int e = 0; e < epochs; e++)
            foreach (var batch in loader.Epoch(e))
            {
                images += batch.Count;
                batch.Dispose();
            }
        clock.Stop();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-52} {1,7} {2,11:N0} {3,9:F2}",
            name, workers, images / clock.Elapsed.TotalSeconds, cpu / clock.Elapsed.TotalSeconds));
    }
