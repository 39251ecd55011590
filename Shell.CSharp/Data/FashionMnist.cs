namespace LogitStd.Shell.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test grey 28×28 images in 10
/// classes, as the four gzipped IDX files of the original distribution (and of Debian's
/// <c>dataset-fashion-mnist</c> package).
/// </summary>
public static class FashionMnist
{
    /// <summary>The four files, in the order train images, train labels, test images, test labels.</summary>
    public static readonly IReadOnlyList<string> Files =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    /// <summary>The folder the Cake <c>Data</c> target fills, relative to the working directory.</summary>
    public const string LocalFolder = "data/fashion-mnist";

    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the files.</summary>
    public const string SystemFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Class names, indexed by label (from the dataset's README).</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Finds the folder holding the four files: <paramref name="dataDir"/> (or its
    /// <c>fashion-mnist</c> subfolder) when given, otherwise <c>./data/fashion-mnist</c>, then the
    /// system copy. A given folder is never silently replaced by another one.
    /// </summary>
    public static string Locate(string? dataDir)
    {
        var candidates = dataDir is null
            ? new[] { LocalFolder, SystemFolder }
            : new[] { dataDir, Path.Combine(dataDir, "fashion-mnist") };
        foreach (var dir in candidates)
            if (Files.All(f => File.Exists(Path.Combine(dir, f))))
                return Path.GetFullPath(dir);
        // A folder holding some of the files is most likely an incomplete copy: name what is missing there.
        foreach (var dir in candidates)
        {
            var missing = Files.Where(f => !File.Exists(Path.Combine(dir, f))).ToList();
            if (missing.Count < Files.Count)
                throw new DatasetException($"{Path.GetFullPath(Path.Combine(dir, missing[0]))}: missing file (Fashion-MNIST needs {string.Join(", ", Files)} in {Path.GetFullPath(dir)})");
        }
        var where = dataDir is null
            ? $"{Path.GetFullPath(LocalFolder)} (run `dotnet cake --target=Data` to fetch them there) or {SystemFolder}"
            : $"{Path.GetFullPath(dataDir)}";
        throw new DatasetException(
            $"Fashion-MNIST not found: put the four files {string.Join(", ", Files)} into {where}" +
            (dataDir is null ? ", or pass --data-dir DIR" : ""));
    }

    /// <summary>Reads and validates both splits from the folder <see cref="Locate"/> finds.</summary>
    public static (ImageDataset Train, ImageDataset Test) Open(string? dataDir)
    {
        var dir = Locate(dataDir);
        return (ReadSplit(dir, "train", Files[0], Files[1]), ReadSplit(dir, "test", Files[2], Files[3]));
    }

    /// <summary>Reads one split from an image file and a label file, checking that their counts agree.</summary>
    public static ImageDataset ReadSplit(string dir, string split, string imagesFile, string labelsFile)
    {
        var imagesPath = Path.Combine(dir, imagesFile);
        var labelsPath = Path.Combine(dir, labelsFile);
        var (pixels, count, rows, cols) = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath, ClassNames.Count);
        if (labels.Length != count)
            throw new DatasetException($"{imagesPath} holds {count:N0} images but {labelsPath} holds {labels.Length:N0} labels");
        return new InMemoryImageDataset("fashion-mnist", split, dir, pixels, labels, ClassNames, 1, rows, cols);
    }
}
