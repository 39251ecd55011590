using System.Formats.Tar;
using System.IO.Compression;

namespace LogitStd.Shell.Data;

/// <summary>
/// CIFAR-100, binary version (Krizhevsky 2009): <c>train.bin</c> (50,000 records) and
/// <c>test.bin</c> (10,000), each record 1 coarse-label byte, 1 fine-label byte and 3,072 pixel
/// bytes (1,024 red, 1,024 green, 1,024 blue, rows top to bottom). The loader uses the fine labels.
/// Read from the extracted <c>cifar-100-binary/</c> folder, from a folder holding the two files, or
/// straight from <c>cifar-100-binary.tar.gz</c>.
/// </summary>
public static class Cifar100
{
    /// <summary>Bytes per record: coarse label, fine label, 3 × 32 × 32 pixels.</summary>
    public const int RecordBytes = 2 + ImageBytes;

    /// <summary>Pixel bytes per image.</summary>
    public const int ImageBytes = 3 * 32 * 32;

    /// <summary>Number of fine classes.</summary>
    public const int FineClasses = 100;

    /// <summary>Number of coarse classes (superclasses).</summary>
    public const int CoarseClasses = 20;

    /// <summary>The archive name of the official download.</summary>
    public const string Archive = "cifar-100-binary.tar.gz";

    /// <summary>
    /// Opens both splits. <paramref name="dataDir"/> (default <c>./data</c>) may be the extracted
    /// <c>cifar-100-binary</c> folder, a folder that contains it, a folder with the archive, or the
    /// archive itself.
    /// </summary>
    public static (ImageDataset Train, ImageDataset Test) Open(string? dataDir)
    {
        var root = dataDir ?? "data";
        if (File.Exists(root) && root.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
            return OpenArchive(root);
        foreach (var dir in new[] { Path.Combine(root, "cifar-100-binary"), root })
            if (File.Exists(Path.Combine(dir, "train.bin")) || File.Exists(Path.Combine(dir, "test.bin")))
            {
                var names = ReadClassNames(Path.Combine(dir, "fine_label_names.txt"));
                return (ReadFile(Path.Combine(dir, "train.bin"), "train", names), ReadFile(Path.Combine(dir, "test.bin"), "test", names));
            }
        var archive = Path.Combine(root, Archive);
        if (File.Exists(archive)) return OpenArchive(archive);
        throw new DatasetException(
            $"CIFAR-100 not found in {Path.GetFullPath(root)}: put train.bin and test.bin (the extracted cifar-100-binary folder) or {Archive} there, or pass --data-dir DIR");
    }

    /// <summary>Reads and validates one binary file (used for a single-file check and by <see cref="Open"/>).</summary>
    public static ImageDataset ReadFile(string path, string split, IReadOnlyList<string>? classNames = null)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: missing file");
        if (SafeIO.FileKinds.Of(path, followLinks: true).Kind != SafeIO.FileKind.Regular)
            throw new DatasetException($"{path}: not a regular file (a FIFO or a device), so not a CIFAR-100 file");
        CheckLength(new FileInfo(path).Length, path); // before the file is read into memory
        var bytes = File.ReadAllBytes(path);
        return Parse(bytes, path, split, Path.GetFullPath(path), classNames);
    }

    /// <summary>Reads both splits (and the class names, if present) from the gzipped tar archive.</summary>
    public static (ImageDataset Train, ImageDataset Test) OpenArchive(string archivePath)
    {
        if (!File.Exists(archivePath)) throw new DatasetException($"{archivePath}: missing file");
        if (SafeIO.FileKinds.Of(archivePath, followLinks: true).Kind != SafeIO.FileKind.Regular)
            throw new DatasetException($"{archivePath}: not a regular file (a FIFO or a device), so not an archive");
        byte[]? train = null, test = null, names = null;
        try
        {
            using var file = File.OpenRead(archivePath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(new TarGuardStream(gzip, archivePath));
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var name = Path.GetFileName(entry.Name);
                if (name is not ("train.bin" or "test.bin" or "fine_label_names.txt")) continue;
                // The tar header's length is checked before it sizes a buffer, and the buffer grows with what arrives.
                if (name == "fine_label_names.txt" ? entry.Length > 1 << 20 : entry.Length > Array.MaxLength)
                    throw new DatasetException($"{archivePath}: member {entry.Name} claims {entry.Length:N0} bytes, more than such a file holds");
                if (name != "fine_label_names.txt") CheckLength(entry.Length, $"{archivePath}:{name}");
                var data = new byte[Math.Min(entry.Length, 16 << 20)];
                int got = 0;
                while ((got += entry.DataStream.ReadAtLeast(data.AsSpan(got), data.Length - got, throwOnEndOfStream: false)) == data.Length && got < entry.Length)
                    Array.Resize(ref data, (int)Math.Min(entry.Length, 2L * data.Length));
                if (got < entry.Length)
                    throw new DatasetException($"{archivePath}: truncated: member {entry.Name} should hold {entry.Length:N0} bytes but the archive ends after {got:N0}");
                // A second member of the same name would silently replace the first (tar extracts the last):
                // which of the two is the dataset is not for this reader to guess.
                if ((name == "train.bin" ? train : name == "test.bin" ? test : names) is not null)
                    throw new DatasetException($"{archivePath}: the archive holds {name} twice (the second as {entry.Name}); an archive of a dataset holds each file once");
                switch (name)
                {
                    case "train.bin": train = data; break;
                    case "test.bin": test = data; break;
                    default: names = data; break;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or OverflowException or InvalidOperationException)
        {
            throw new DatasetException($"{archivePath}: corrupt or truncated archive: {e.Message}", e);
        }
        if (train is null) throw new DatasetException($"{archivePath}: missing file: the archive has no train.bin");
        if (test is null) throw new DatasetException($"{archivePath}: missing file: the archive has no test.bin");
        var classNames = names is null ? null : ParseClassNames(System.Text.Encoding.UTF8.GetString(names), archivePath);
        var source = Path.GetFullPath(archivePath);
        return (Parse(train, $"{archivePath}:train.bin", "train", source, classNames),
                Parse(test, $"{archivePath}:test.bin", "test", source, classNames));
    }

    /// <summary>A file's length must be a positive whole number of records (checked before it is read).</summary>
    static void CheckLength(long length, string path)
    {
        if (length == 0) throw new DatasetException($"{path}: empty file, expected records of {RecordBytes:N0} bytes");
        if (length % RecordBytes != 0)
        {
            long whole = length / RecordBytes;
            throw new DatasetException(
                $"{path}: truncated: {length:N0} bytes is not a whole number of {RecordBytes:N0}-byte records (record {whole} at offset {whole * RecordBytes:N0} has only {length % RecordBytes:N0} bytes)");
        }
        if (length > Array.MaxLength) throw new DatasetException($"{path}: {length:N0} bytes is more than one file of CIFAR-100 holds");
    }

    /// <summary>Validates the records of one file and splits them into pixels and fine labels.</summary>
    static ImageDataset Parse(byte[] bytes, string path, string split, string source, IReadOnlyList<string>? classNames)
    {
        CheckLength(bytes.Length, path);
        int count = bytes.Length / RecordBytes;
        var labels = new int[count];
        var pixels = new byte[(long)count * ImageBytes];
        for (int i = 0; i < count; i++)
        {
            long offset = (long)i * RecordBytes;
            int coarse = bytes[offset], fine = bytes[offset + 1];
            if (coarse >= CoarseClasses)
                throw new DatasetException($"{path}: record {i} (offset {offset:N0}): coarse label {coarse} out of range 0..{CoarseClasses - 1}");
            if (fine >= FineClasses)
                throw new DatasetException($"{path}: record {i} (offset {offset + 1:N0}): fine label {fine} out of range 0..{FineClasses - 1}");
            labels[i] = fine;
            Buffer.BlockCopy(bytes, (int)(offset + 2), pixels, i * ImageBytes, ImageBytes);
        }
        var names = classNames ?? Enumerable.Range(0, FineClasses).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new InMemoryImageDataset("cifar100", split, source, pixels, labels, names, 3, 32, 32);
    }

    /// <summary>Reads <c>fine_label_names.txt</c> when it is there; numbers stand in for names otherwise.</summary>
    static IReadOnlyList<string>? ReadClassNames(string path) =>
        File.Exists(path) ? ParseClassNames(ReadNames(path), path) : null;

    /// <summary>The class-name file: regular, and as small as one (the archive's member is bounded alike).</summary>
    static string ReadNames(string path)
    {
        try { return SafeIO.BoundedRead.Text(path, 1 << 20, "class-name file"); }
        catch (SafeIO.UnsafeFileException e) { throw new DatasetException(e.Message, e); }
    }

    static IReadOnlyList<string> ParseClassNames(string text, string path)
    {
        var names = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != FineClasses)
            throw new DatasetException($"{path}: {names.Length} class names, expected {FineClasses}");
        return names;
    }
}
