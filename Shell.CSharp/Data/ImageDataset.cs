namespace LogitStd.Shell.Data;

/// <summary>
/// One split of a labelled image dataset, validated when it was opened. Subclasses decide where the
/// pixels live; <see cref="GetImage"/> must be safe to call from several loader threads at once.
/// </summary>
public abstract class ImageDataset
{
    int[]? classCounts;

    /// <summary>The dataset's short name (<c>fashion-mnist</c>, <c>cifar100</c>, <c>imagefolder</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The split (<c>train</c>, <c>test</c>, <c>val</c>, or a file name for a single-file check).</summary>
    public abstract string Split { get; }

    /// <summary>Where the data was read from (file, folder or archive), for messages and reports.</summary>
    public abstract string Source { get; }

    /// <summary>Class names, indexed by label.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>Labels in dataset order, each in <c>0 .. Classes-1</c>.</summary>
    public abstract IReadOnlyList<int> Labels { get; }

    /// <summary>Channels of every image (1 or 3).</summary>
    public abstract int Channels { get; }

    /// <summary>Image height, or <c>null</c> when images differ in size (image folders).</summary>
    public abstract int? Height { get; }

    /// <summary>Image width, or <c>null</c> when images differ in size (image folders).</summary>
    public abstract int? Width { get; }

    /// <summary>Number of classes.</summary>
    public int Classes => ClassNames.Count;

    /// <summary>Number of images.</summary>
    public int Count => Labels.Count;

    /// <summary>Images per class, indexed by label.</summary>
    public IReadOnlyList<int> ClassCounts
    {
        get
        {
            if (classCounts is null)
            {
                var counts = new int[Classes];
                foreach (var label in Labels) counts[label]++;
                classCounts = counts;
            }
            return classCounts;
        }
    }

    /// <summary>The image at <paramref name="index"/> (dataset order), uint8 CHW.</summary>
    /// <exception cref="DatasetException">The image cannot be read (image folders decode on demand).</exception>
    public abstract ImageView GetImage(int index);
}
