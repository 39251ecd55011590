using System.Text;

namespace LogitStd.Shell.SafeIO;

/// <summary>Lines of a text file with a bound on each line's length, so that a file of one huge line
/// (a sparse file of gigabytes, no newline) is refused after reading the bound, not held whole.</summary>
public static class LineReader
{
    /// <summary>The lines of <paramref name="reader"/> (without their <c>\n</c>; a <c>\r</c> before it is kept).</summary>
    /// <exception cref="UnsafeFileException">A line longer than <paramref name="maxChars"/>, naming <paramref name="path"/> and the line.</exception>
    public static IEnumerable<string> Lines(TextReader reader, int maxChars, string path)
    {
        var line = new StringBuilder();
        int number = 1;
        var buffer = new char[1 << 14];
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != '\n') continue;
                Append(line, buffer, start, i - start, maxChars, path, number);
                yield return line.ToString();
                line.Clear();
                number++;
                start = i + 1;
            }
            Append(line, buffer, start, n - start, maxChars, path, number);
        }
        if (line.Length > 0) yield return line.ToString();
    }

    static void Append(StringBuilder line, char[] buffer, int start, int count, int maxChars, string path, int number)
    {
        if (line.Length + count > maxChars) throw new UnsafeFileException(path, $"line {number} is longer than {maxChars:N0} characters");
        line.Append(buffer, start, count);
    }
}
