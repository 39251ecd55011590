using System.Globalization;

namespace LogitStd.Shell.Runs;

/// <summary>The plain comma-separated files of a run folder: a header line, then rows of numbers. No
/// quoting is needed (the trainer writes only numbers and fixed column names), so none is parsed.</summary>
internal sealed class CsvFile
{
    private CsvFile(string path, string[] header, List<(int Line, string[] Fields)> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
    }

    public string Path { get; }
    public string[] Header { get; }

    /// <summary>Each data row with its 1-based line number; every row has as many fields as the header.</summary>
    public List<(int Line, string[] Fields)> Rows { get; }

    /// <summary>The longest line read: a row of 10,000 logits in round-trip format is under 300,000
    /// characters; a longer line (a damaged or hostile file of one huge line) is refused before it is held.</summary>
    public const int MaxLineChars = 1 << 20;

    /// <summary>Reads <paramref name="path"/>; <paramref name="missingHint"/> says why the file may be absent.</summary>
    public static CsvFile Read(string path, string missingHint)
    {
        if (!File.Exists(path)) throw new RunFolderException(path, null, $"file not found ({missingHint})");
        string[]? header = null;
        var rows = new List<(int, string[])>();
        int line = 0;
        using var stream = SafeIO.BoundedRead.Open(path, long.MaxValue, "CSV file");
        using var reader = new StreamReader(stream);
        foreach (var text in SafeIO.LineReader.Lines(reader, MaxLineChars, path))
        {
            line++;
            // A trailing blank line (or CRLF endings) is common and harmless.
            var trimmed = text.TrimEnd('\r');
            if (trimmed.Length == 0) continue;
            var fields = trimmed.Split(',');
            if (header is null)
            {
                header = fields.Select(h => h.Trim()).ToArray();
                continue;
            }
            if (fields.Length != header.Length)
                throw new RunFolderException(path, line, $"{fields.Length} fields, but the header has {header.Length}");
            rows.Add((line, fields));
        }
        if (header is null) throw new RunFolderException(path, null, "the file is empty (expected a header line)");
        return new CsvFile(path, header, rows);
    }

    /// <summary>The column index of <paramref name="name"/>, or an error naming the file and its header line.</summary>
    public int Column(string name)
    {
        var i = Array.IndexOf(Header, name);
        return i >= 0 ? i : throw new RunFolderException(Path, 1, $"no column \"{name}\" in the header");
    }

    public double Double(int line, string[] fields, int column)
    {
        var s = fields[column].Trim();
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw new RunFolderException(Path, line, $"column \"{Header[column]}\": \"{s}\" is not a finite number");
    }

    public int Int(int line, string[] fields, int column)
    {
        var s = fields[column].Trim();
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new RunFolderException(Path, line, $"column \"{Header[column]}\": \"{s}\" is not an integer");
    }

    public double? NullableDouble(int line, string[] fields, int column) =>
        fields[column].Trim().Length == 0 ? null : Double(line, fields, column);

    /// <summary>The one number format of the run folder's files: round-trip ("R"), invariant culture.</summary>
    public static string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>One line of cells (numbers and fixed names only: nothing needs quoting).</summary>
    public static string Line(IEnumerable<string> cells) => string.Join(",", cells);

    /// <summary>Writes a header and rows atomically (<see cref="Persistence.Atomic"/>).</summary>
    public static void Write(string path, IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(Line(header)).Append('\n');
        foreach (var r in rows) sb.Append(Line(r)).Append('\n');
        Persistence.Atomic.WriteText(path, sb.ToString());
    }
}
