using DatasetKind = LogitStd.Core.Domain.DatasetKind;
namespace LogitStd.Shell.Models;

/// <summary>One model of the zoo: its canonical name, the dataset it is laid out for and the class count of that dataset.</summary>
/// <param name="Name">Canonical name (mdistiller's spelling for CIFAR models).</param>
/// <param name="Dataset">CIFAR-100, an image folder (ImageNet) or Fashion-MNIST (<c>Domain.DatasetKind</c>).</param>
/// <param name="NativeClasses">Class count of that dataset (100, 1000, 10): the count PAPER.md §5 reports parameters at.</param>
public sealed record ZooEntry(string Name, DatasetKind Dataset, int NativeClasses);

/// <summary>Raised for a model name the zoo does not know; the message lists every valid name.</summary>
public sealed class UnknownModelException(string name, IEnumerable<string> valid)
    : UsageException($"unknown model '{name}'. Valid models: {string.Join(", ", valid)}")
{
    /// <summary>The name that was asked for.</summary>
    public string RequestedName { get; } = name;
}

/// <summary>
/// The registry of every model: CIFAR models under mdistiller's names, ImageNet models (torchvision
/// layout) and the Fashion-MNIST models. Names are matched without regard to case. ImageNet ResNets
/// carry an <c>_imagenet</c> suffix because mdistiller's CIFAR <c>ResNet50</c> has the same name as the
/// ImageNet one, and a case-insensitive registry cannot hold both.
/// </summary>
public static class ModelZoo
{
    private sealed record Factory(ZooEntry Entry, Func<string, int, Classifier> Create);

    private static readonly int[] SmallFilters = [16, 16, 32, 64];
    private static readonly int[] WideFilters = [32, 64, 128, 256];

    private static Factory Cifar(string name, Func<string, int, Classifier> create) => new(new ZooEntry(name, DatasetKind.Cifar100, 100), create);
    private static Factory ImageNet(string name, Func<string, int, Classifier> create) => new(new ZooEntry(name, DatasetKind.Imagefolder, 1000), create);
    private static Factory Fashion(string name, Func<string, int, Classifier> create) => new(new ZooEntry(name, DatasetKind.Fashion_Mnist, 10), create);

    private static readonly Factory[] Factories =
    [
        Cifar("resnet8", (n, k) => new ResNetCifar(n, 8, SmallFilters, k)),
        Cifar("resnet14", (n, k) => new ResNetCifar(n, 14, SmallFilters, k)),
        Cifar("resnet20", (n, k) => new ResNetCifar(n, 20, SmallFilters, k)),
        Cifar("resnet32", (n, k) => new ResNetCifar(n, 32, SmallFilters, k)),
        Cifar("resnet44", (n, k) => new ResNetCifar(n, 44, SmallFilters, k)),
        Cifar("resnet56", (n, k) => new ResNetCifar(n, 56, SmallFilters, k)),
        Cifar("resnet110", (n, k) => new ResNetCifar(n, 110, SmallFilters, k)),
        Cifar("resnet8x4", (n, k) => new ResNetCifar(n, 8, WideFilters, k)),
        Cifar("resnet32x4", (n, k) => new ResNetCifar(n, 32, WideFilters, k)),
        Cifar("wrn_16_1", (n, k) => new WideResNet(n, 16, 1, k)),
        Cifar("wrn_16_2", (n, k) => new WideResNet(n, 16, 2, k)),
        Cifar("wrn_40_1", (n, k) => new WideResNet(n, 40, 1, k)),
        Cifar("wrn_40_2", (n, k) => new WideResNet(n, 40, 2, k)),
        Cifar("vgg8", (n, k) => new Vgg(n, Vgg.Configs["vgg8"], k)),
        Cifar("vgg11", (n, k) => new Vgg(n, Vgg.Configs["vgg11"], k)),
        Cifar("vgg13", (n, k) => new Vgg(n, Vgg.Configs["vgg13"], k)),
        Cifar("vgg16", (n, k) => new Vgg(n, Vgg.Configs["vgg16"], k)),
        Cifar("vgg19", (n, k) => new Vgg(n, Vgg.Configs["vgg19"], k)),
        Cifar("MobileNetV2", (n, k) => new MobileNetV2(n, expansion: 6, width: 0.5, k)),
        Cifar("ShuffleV1", (n, k) => new ShuffleNetV1(n, [240, 480, 960], [4, 8, 4], groups: 3, k)),
        Cifar("ShuffleV2", (n, k) => new ShuffleNetV2(n, [116, 232, 464, 1024], [3, 7, 3], k)),
        Cifar("ResNet50", (n, k) => new ResNetCifarBottleneck(n, [3, 4, 6, 3], k)),
        ImageNet("ResNet18_imagenet", (n, k) => new ResNetImageNet(n, [2, 2, 2, 2], bottleneck: false, k)),
        ImageNet("ResNet34_imagenet", (n, k) => new ResNetImageNet(n, [3, 4, 6, 3], bottleneck: false, k)),
        ImageNet("ResNet50_imagenet", (n, k) => new ResNetImageNet(n, [3, 4, 6, 3], bottleneck: true, k)),
        ImageNet("MobileNetV1", (n, k) => new MobileNetV1(n, k)),
        Fashion("fmnist_wide_cnn", FashionMnistNets.WideCnn),
        Fashion("fmnist_small_cnn", FashionMnistNets.SmallCnn),
        Fashion("fmnist_mlp", FashionMnistNets.Mlp),
    ];

    private static readonly Dictionary<string, Factory> ByName =
        Factories.ToDictionary(f => f.Entry.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every canonical model name, in listing order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Factories.Select(f => f.Entry.Name)];

    /// <summary>Every model with its dataset and native class count, in listing order.</summary>
    public static IReadOnlyList<ZooEntry> Entries { get; } = [.. Factories.Select(f => f.Entry)];

    /// <summary>Whether <paramref name="name"/> (any case) is a model of the zoo.</summary>
    public static bool Contains(string name) => ByName.ContainsKey(name);

    /// <summary>The zoo entry for <paramref name="name"/> (any case).</summary>
    /// <exception cref="UnknownModelException">The name is not in the zoo.</exception>
    public static ZooEntry Describe(string name) => Find(name).Entry;

    /// <summary>
    /// Creates the model <paramref name="name"/> (any case) with a <paramref name="classes"/>-way head,
    /// initialised as mdistiller initialises it (draws from TorchSharp's global generator: seed it with
    /// <c>torch.manual_seed</c> first for a reproducible model). The model starts in training mode.
    /// The first call configures libtorch's CPU kernels for this processor (<see cref="Platform.CpuKernels"/>).
    /// </summary>
    /// <exception cref="UnknownModelException">The name is not in the zoo.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public static Classifier Create(string name, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var factory = Find(name);
        Platform.CpuKernels.Configure();
        return factory.Create(factory.Entry.Name, classes);
    }

    private static Factory Find(string name) =>
        ByName.TryGetValue(name, out var f) ? f : throw new UnknownModelException(name, Names);
}
