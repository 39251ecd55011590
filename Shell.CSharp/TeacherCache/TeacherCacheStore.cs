using System.Diagnostics;
using System.Globalization;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.TeacherCache;

/// <summary>
/// Finds, creates and fills the cache of one teacher on one split: the file named by the key in the
/// cache folder (default <see cref="DefaultDirectory"/>), every missing chunk computed by the teacher
/// and written (<see cref="TeacherCacheFile.WriteChunk"/>), under an exclusive lock file so that two
/// runs sharing the folder never fill the same file at once (the second waits, then finds it full).
/// <para>
/// A chunk is always computed the same way — its images in index order, one view, one teacher batch
/// of up to <see cref="TeacherCacheKey.ChunkImages"/>, by the teacher with its <see cref="Layers.ConvBn"/>
/// BatchNorms folded (<see cref="BatchNormFolding"/>) — so what a file holds does not depend on which
/// run filled it, or on where an interrupted fill was resumed: every run that reads the file reads the
/// same logits, which makes runs with the cache bit-identical to each other and across kill and resume.
/// </para>
/// </summary>
public static class TeacherCacheStore
{
    /// <summary>The cache folder when none is given: <c>./cache/teacher</c>.</summary>
    public static string DefaultDirectory => Path.Combine("cache", "teacher");

    /// <summary>
    /// The complete cache of <paramref name="teacher"/> (weights <paramref name="teacherFile"/>) on
    /// <paramref name="data"/> through <paramref name="transform"/>: opened when it is there and full,
    /// otherwise created and/or filled first. Prints the file, its size and what was filled.
    /// </summary>
    public static TeacherCacheFile Ensure(string directory, string teacherFile, Classifier teacher, ImageDataset data,
        IViewTransform transform, Device device, TextWriter log)
    {
        var key = TeacherCacheKey.For(teacherFile, teacher.Info.Name, data, transform);
        var path = key.FileIn(directory);
        var cache = OpenIfComplete(path, key);
        if (cache is null)
        {
            using var fillLock = Lock(path, log);
            if (!File.Exists(path)) TeacherCacheFile.Create(path, key);
            cache = TeacherCacheFile.Open(path, key);
            if (!cache.Complete)
            {
                // The fill runs the teacher millions of times (CIFAR: 50,000 × 162): fold its BatchNorms (smoke-measured +5–20 % on the ResNets).
                using var folded = BatchNormFolding.FoldedCopy(teacher);
                Fill(cache, folded, data, transform, device, log);
            }
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"teacher cache: {Path.GetFullPath(path)} ({cache.Length:N0} bytes = {cache.Length / 1048576.0:F1} MiB: {key.Count} images × {key.Views} views × {key.Classes} logits, float32)"));
        return cache;
    }

    static TeacherCacheFile? OpenIfComplete(string path, TeacherCacheKey key)
    {
        if (!File.Exists(path)) return null;
        var cache = TeacherCacheFile.Open(path, key);
        if (cache.Complete) return cache;
        cache.Dispose();
        return null;
    }

    /// <summary>Computes every missing chunk, in file order, and writes it.</summary>
    static void Fill(TeacherCacheFile cache, Classifier teacher, ImageDataset data, IViewTransform transform, Device device, TextWriter log)
    {
        var missing = cache.Missing().ToList();
        var key = cache.Key;
        log.WriteLine($"teacher cache: computing {missing.Sum(m => (long)m.Images):N0} teacher outputs ({missing.Count} of {TeacherCacheFile.ChunksPerView(key) * key.Views} chunks) into {cache.Path}");
        int sample = transform.OutputChannels * transform.OutputHeight * transform.OutputWidth;
        var images = new float[key.ChunkImages * sample];
        var logits = new float[key.ChunkImages * key.Classes];
        teacher.eval();
        var watch = Stopwatch.StartNew();
        long reportAt = 0;
        using var writer = new FileStream(cache.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        for (int m = 0; m < missing.Count; m++)
        {
            var (chunk, view, first, n) = missing[m];
            Parallel.For(0, n, j => transform.Render(data.GetImage(first + j), view, images.AsSpan(j * sample, sample)));
            TeacherOutputs(teacher, images.AsSpan(0, n * sample), n, transform, device, logits.AsSpan(0, n * key.Classes));
            cache.WriteChunk(writer, chunk, logits.AsSpan(0, n * key.Classes));
            if (watch.ElapsedMilliseconds >= reportAt || m == missing.Count - 1)
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"teacher cache: {m + 1}/{missing.Count} chunks, {watch.Elapsed.TotalSeconds:F0} s"));
                reportAt = watch.ElapsedMilliseconds + 30_000;
            }
        }
    }

    /// <summary>The teacher's logits for a batch of rendered images, under inference mode, copied to <paramref name="destination"/>.</summary>
    static void TeacherOutputs(Classifier teacher, Span<float> images, int n, IViewTransform t, Device device, Span<float> destination)
    {
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        var input = torch.empty([n, t.OutputChannels, t.OutputHeight, t.OutputWidth], float32);
        input.bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(images);
        var output = teacher.Infer(input.to(device)).Logits.to(float32).cpu().contiguous();
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(output.bytes).CopyTo(destination);
    }

    /// <summary>An exclusive lock on <c>FILE.lock</c> (flock through <see cref="FileShare.None"/>); waits while another process holds it.</summary>
    static FileStream Lock(string path, TextWriter log)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var lockFile = path + ".lock";
        bool said = false;
        while (true)
        {
            try { return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (File.Exists(lockFile))
            {
                if (!said) log.WriteLine($"teacher cache: another process is filling {path}; waiting for it");
                said = true;
                Thread.Sleep(1000);
            }
        }
    }
}
