using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LogitStd.Shell.Runs;

/// <summary>A float32 matrix of <see cref="Rows"/> × <see cref="Columns"/>, row-major: one pooled
/// penultimate feature per test image, in dataset order.</summary>
public sealed record FeatureMatrix(int Rows, int Columns, float[] Values)
{
    /// <summary>Entry (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public float this[int row, int column] => Values[row * Columns + column];
}

/// <summary>
/// The one owner of <c>analysis/&lt;role&gt;_test_features.npy</c> (docs/run-folder.md): NumPy's
/// <c>.npy</c> format, version 1.0, dtype <c>&lt;f4</c>, C order, shape <c>(N, D)</c>. Binary because
/// 10,000 × 256 features are 10 MB as float32 but three times that as text, and <c>.npy</c> because
/// NumPy reads it with <c>numpy.load</c> (tools/tsne/compare.py does) while the reader here is 40 lines.
/// </summary>
public static partial class FeatureFile
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes <paramref name="m"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, FeatureMatrix m)
    {
        if (m.Values.Length != (long)m.Rows * m.Columns)
            throw new ArgumentException($"{path}: {m.Values.Length} values for {m.Rows} × {m.Columns}");
        Persistence.Atomic.Write(path, stream =>
        {
            var dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({m.Rows}, {m.Columns}), }}");
            // The header (magic, version, length, dict) is padded with spaces to a multiple of 64 bytes
            // and ends in a newline, as numpy.lib.format requires of version 1.0.
            int unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
            var header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
            stream.Write(Magic);
            stream.Write([1, 0]);
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
            stream.Write(Encoding.ASCII.GetBytes(header));
            var bytes = new byte[m.Values.Length * sizeof(float)];
            Buffer.BlockCopy(m.Values, 0, bytes, 0, bytes.Length);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the .npy writer assumes a little-endian machine");
            stream.Write(bytes);
        });
    }

    /// <summary>Reads a <c>.npy</c> written by <see cref="Write"/> (or by NumPy with the same dtype,
    /// order and rank).</summary>
    /// <exception cref="RunFolderException">The file is missing, or is not a float32 C-order 2-D
    /// <c>.npy</c>, or is cut short; the message names the file.</exception>
    public static FeatureMatrix Read(string path)
    {
        if (!File.Exists(path)) throw new RunFolderException(path, null, "file not found");
        byte[] all;
        try { all = File.ReadAllBytes(path); }
        catch (IOException e) { throw new RunFolderException(path, null, $"cannot read: {e.Message}"); }
        RunFolderException Bad(string why) => new(path, null, $"not a float32 (N, D) .npy feature file: {why}");
        if (all.Length < 10 || !all.AsSpan(0, 6).SequenceEqual(Magic)) throw Bad("no .npy magic");
        if (all[6] != 1) throw Bad($"format version {all[6]}.{all[7]} (1.0 expected)");
        int headerLength = BitConverter.ToUInt16(all, 8);
        if (10 + headerLength > all.Length) throw Bad("the header runs past the end of the file");
        var header = Encoding.ASCII.GetString(all, 10, headerLength);
        if (!header.Contains("'descr': '<f4'")) throw Bad($"dtype is not '<f4' (header {header.Trim()})");
        if (!header.Contains("'fortran_order': False")) throw Bad("Fortran order");
        var shape = ShapePattern().Match(header);
        if (!shape.Success) throw Bad($"shape is not two-dimensional (header {header.Trim()})");
        int rows = int.Parse(shape.Groups[1].Value, CultureInfo.InvariantCulture);
        int columns = int.Parse(shape.Groups[2].Value, CultureInfo.InvariantCulture);
        long expected = (long)rows * columns * sizeof(float);
        long present = all.Length - 10 - headerLength;
        if (present != expected) throw Bad($"shape ({rows}, {columns}) needs {expected} bytes of data, the file has {present}");
        var values = new float[rows * columns];
        Buffer.BlockCopy(all, 10 + headerLength, values, 0, (int)expected);
        return new FeatureMatrix(rows, columns, values);
    }

    [GeneratedRegex(@"'shape':\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)")]
    private static partial Regex ShapePattern();
}
