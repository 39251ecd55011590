using LogitStd.Core;
using DatasetKind = LogitStd.Core.Domain.DatasetKind;

namespace LogitStd.Shell.Data;

/// <summary>
/// Opens a dataset by kind (the CLI's <see cref="DatasetKind"/>) and gives its default transforms,
/// so the trainer, <c>eval</c> and <c>dataset check</c> agree on where data lives and how it is
/// augmented.
/// </summary>
public static class DatasetCatalog
{
    /// <summary>
    /// Reads and validates the training and test splits. <paramref name="dataDir"/>: Fashion-MNIST —
    /// the folder with the four IDX files (default <c>./data/fashion-mnist</c>, then
    /// <c>/usr/share/datasets/fashion-mnist</c>); CIFAR-100 — the extracted folder, its parent or
    /// the <c>.tar.gz</c> (default <c>./data</c>); image folder — a folder with <c>train/</c> and
    /// <c>val/</c> (or <c>test/</c>) class folders (default <c>./data/imagenet</c>).
    /// </summary>
    /// <exception cref="DatasetException">Missing, truncated or malformed data.</exception>
    public static (ImageDataset Train, ImageDataset Test) Open(DatasetKind kind, string? dataDir)
    {
        return Experiments.Dataset(kind) switch
        {
            DatasetId.FashionMnist => FashionMnist.Open(dataDir),
            DatasetId.Cifar100 => Cifar100.Open(dataDir),
            DatasetId.ImageFolder => OpenImageFolder(dataDir ?? Path.Combine("data", "imagenet")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown dataset kind"),
        };
    }

    /// <summary>
    /// The test split alone, for evaluation: as <see cref="Open"/>'s, except that an image folder needs
    /// no <c>train/</c> — then its <c>val/</c> (or <c>test/</c>) class folders, sorted by name, are the
    /// classes, as torchvision's <c>ImageFolder</c> on the validation folder has them (ImageNet's
    /// teachers are usually evaluated with nothing but <c>val/</c> at hand).
    /// </summary>
    /// <exception cref="DatasetException">Missing, truncated or malformed data.</exception>
    public static ImageDataset OpenTest(DatasetKind kind, string? dataDir)
    {
        var root = dataDir ?? Path.Combine("data", "imagenet");
        if (Experiments.Dataset(kind) != DatasetId.ImageFolder || !Directory.Exists(root) || Directory.Exists(Path.Combine(root, "train")))
            return Open(kind, dataDir).Test;
        var testDir = new[] { "val", "test" }.Select(s => Path.Combine(root, s)).FirstOrDefault(Directory.Exists)
            ?? throw new DatasetException($"{Path.GetFullPath(root)}: missing folder val/ (or test/), one subfolder per class");
        return ImageFolderDataset.Open(testDir, Path.GetFileName(testDir));
    }

    /// <summary>
    /// The splits <c>dataset check</c> validates: both splits as <see cref="Open"/> reads them, or —
    /// when <paramref name="dataDir"/> names a single CIFAR <c>.bin</c> file — that file alone.
    /// </summary>
    public static IReadOnlyList<ImageDataset> OpenForCheck(DatasetKind kind, string? dataDir)
    {
        if (Experiments.Dataset(kind) == DatasetId.Cifar100 && dataDir is not null && File.Exists(dataDir) && dataDir.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return [Cifar100.ReadFile(dataDir, Path.GetFileNameWithoutExtension(dataDir))];
        var (train, test) = Open(kind, dataDir);
        return [train, test];
    }

    /// <summary>
    /// The training transform of a dataset, the one owner of it (the trainer, the teacher cache and the
    /// saved experiment all ask here): CIFAR-100 random crop (4-pixel padding) + flip always (PAPER.md §4);
    /// an image folder RandomResizedCrop + flip always; Fashion-MNIST normalisation only, or crop (2-pixel
    /// padding) + flip when <paramref name="augment"/> asks for it.
    /// </summary>
    public static IImageTransform TrainTransform(DatasetKind kind, bool augment) =>
        Experiments.Dataset(kind) switch
        {
            DatasetId.FashionMnist => Transforms.FashionMnistTrain(crop: augment, flip: augment),
            DatasetId.Cifar100 => Transforms.CifarTrain(),
            DatasetId.ImageFolder => Transforms.ImageNetTrain(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown dataset kind"),
        };

    /// <summary>The training transform of <paramref name="dataset"/> (<see cref="TrainTransform(DatasetKind, bool)"/>).</summary>
    public static IImageTransform TrainTransform(Core.Experiment.DatasetSpec dataset) => TrainTransform(dataset.Name, dataset.Augment);

    /// <summary>
    /// Whether <paramref name="transform"/> augments: it does unless it has exactly one view (every epoch
    /// sees the same image). The policies that depend on augmentation — the saved experiment's
    /// <c>augment</c>, computing a teacher's logits once for the whole run — ask this, not the dataset's name.
    /// </summary>
    public static bool Augments(IImageTransform transform) => transform is not IViewTransform { ViewCount: 1 };

    /// <summary>The evaluation transform: normalisation only (ImageNet: resize 256 + centre crop 224).</summary>
    public static IImageTransform TestTransform(DatasetKind kind) =>
        Experiments.Dataset(kind) switch
        {
            DatasetId.FashionMnist => Transforms.FashionMnistTest(),
            DatasetId.Cifar100 => Transforms.CifarTest(),
            DatasetId.ImageFolder => Transforms.ImageNetEval(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown dataset kind"),
        };

    /// <summary>MLKD's strong view for the dataset; image folders have none (MLKD's ImageNet recipe is not part of this project).</summary>
    public static IImageTransform StrongTransform(DatasetKind kind) =>
        Experiments.Dataset(kind) switch
        {
            DatasetId.FashionMnist => Transforms.FashionMnistStrong(),
            DatasetId.Cifar100 => Transforms.CifarStrong(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no strong view defined for this dataset"),
        };

    static (ImageDataset Train, ImageDataset Test) OpenImageFolder(string root)
    {
        if (!Directory.Exists(root))
            throw new DatasetException($"{Path.GetFullPath(root)}: missing folder (an image folder dataset needs train/ and val/ inside, one subfolder per class)");
        var trainDir = Path.Combine(root, "train");
        if (!Directory.Exists(trainDir))
            throw new DatasetException($"{Path.GetFullPath(trainDir)}: missing folder (an image folder dataset needs train/ and val/ inside, one subfolder per class)");
        var testDir = new[] { "val", "test" }.Select(s => Path.Combine(root, s)).FirstOrDefault(Directory.Exists)
            ?? throw new DatasetException($"{Path.GetFullPath(root)}: missing folder val/ (or test/) beside train/");
        var train = ImageFolderDataset.Open(trainDir, "train");
        var test = ImageFolderDataset.Open(testDir, Path.GetFileName(testDir), train.ClassNames);
        return (train, test);
    }
}
