using System.Security.Cryptography;
using System.Text;
using LogitStd.Shell.Data;

namespace LogitStd.Shell.Training;

/// <summary>
/// What a run's data is, recorded in the run's marker when it is created and compared on
/// <c>--resume</c>, so that a run folder whose experiment.yaml was edited to another <c>data_dir</c> (or
/// whose data files changed) does not continue silently on other data. For Fashion-MNIST and CIFAR-100 it is
/// the teacher cache's hash of every label and pixel (<see cref="TeacherCache.TeacherCacheKey.HashDataset"/>),
/// over both splits; for an image folder, whose images would have to be decoded, the hash of its listing:
/// every file's path relative to the root, its label and its size.
/// </summary>
public static class DatasetIdentity
{
    /// <summary>The identity of <paramref name="train"/> (before any subset is drawn) and <paramref name="test"/>, lower-case hex.</summary>
    public static string Of(ImageDataset train, ImageDataset test)
    {
        var parts = new[] { train, test }.Select(d => d is ImageFolderDataset folder ? Listing(folder) : TeacherCache.TeacherCacheKey.HashDataset(d));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts)))).ToLowerInvariant();
    }

    static string Listing(ImageFolderDataset d)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < d.Count; i++)
        {
            var line = $"{Path.GetRelativePath(d.Source, d.Files[i])}\t{d.Labels[i]}\t{new FileInfo(d.Files[i]).Length}\n";
            hash.AppendData(Encoding.UTF8.GetBytes(line));
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
