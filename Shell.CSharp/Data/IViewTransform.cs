namespace LogitStd.Shell.Data;

/// <summary>
/// A transform whose random choices form a finite set of <em>views</em> of an image, numbered
/// <c>0 .. ViewCount-1</c>: the crop offsets and flip of <see cref="CropFlipTransform"/> (9 × 9 × 2 = 162
/// views of a CIFAR image; one without augmentation). The loader records which view each sample drew,
/// and a frozen teacher's output for (image, view) can then be computed once and reused
/// (<see cref="TeacherCache.TeacherCacheFile"/>).
/// </summary>
public interface IViewTransform : IImageTransform
{
    /// <summary>How many distinct views the transform draws from.</summary>
    int ViewCount { get; }

    /// <summary>Everything that decides the output for a given (image, view), in words: part of a teacher cache's key.</summary>
    string Description { get; }

    /// <summary>As <see cref="IImageTransform.Apply"/> (the same draws, the same output), and returns the view it drew.</summary>
    int ApplyView(ImageView image, Span<float> destination, ref SampleRandom random);

    /// <summary>Writes view <paramref name="view"/> of the image, with no randomness: equal, bit for bit,
    /// to what <see cref="ApplyView"/> writes when it draws that view.</summary>
    void Render(ImageView image, int view, Span<float> destination);
}
