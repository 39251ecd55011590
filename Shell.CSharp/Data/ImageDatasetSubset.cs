namespace LogitStd.Shell.Data;

/// <summary>
/// A view of some images of another dataset, in a given order (e.g. a seeded training subset). The
/// images are not copied.
/// </summary>
public sealed class ImageDatasetSubset : ImageDataset
{
    readonly ImageDataset inner;
    readonly int[] indices;
    readonly int[] labels;

    /// <summary>The images <paramref name="indices"/> of <paramref name="inner"/>.</summary>
    public ImageDatasetSubset(ImageDataset inner, IReadOnlyList<int> indices)
    {
        this.inner = inner;
        this.indices = indices.ToArray();
        foreach (var i in this.indices)
            if (i < 0 || i >= inner.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} outside 0..{inner.Count - 1}");
        labels = this.indices.Select(i => inner.Labels[i]).ToArray();
    }

    /// <summary>The first <paramref name="count"/> images of a permutation of <paramref name="inner"/> drawn from <paramref name="seed"/>.</summary>
    public static ImageDatasetSubset Random(ImageDataset inner, int count, int seed)
    {
        if (count <= 0 || count > inner.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"a subset of {count} images of a split of {inner.Count}");
        var order = Enumerable.Range(0, inner.Count).ToArray();
        new Random(seed).Shuffle(order);
        var chosen = order.Take(count).ToArray();
        Array.Sort(chosen); // keep dataset order: the loader shuffles per epoch anyway
        return new ImageDatasetSubset(inner, chosen);
    }

    public override string Name => inner.Name;
    public override string Split => $"{inner.Split} (subset of {indices.Length})";
    public override string Source => inner.Source;
    public override IReadOnlyList<string> ClassNames => inner.ClassNames;
    public override IReadOnlyList<int> Labels => labels;
    public override int Channels => inner.Channels;
    public override int? Height => inner.Height;
    public override int? Width => inner.Width;
    public override ImageView GetImage(int index) => inner.GetImage(indices[index]);
}
