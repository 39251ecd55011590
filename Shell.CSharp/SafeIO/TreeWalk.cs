namespace LogitStd.Shell.SafeIO;

/// <summary>
/// The files under a folder, for the commands that search a user's tree (<c>sweep --configs DIR</c>,
/// <c>results DIR</c>): links to folders are followed, but a folder reached a second time (a link
/// loop such as <c>a → .</c>, or two links to one folder) is an error naming the link rather than an
/// endless walk or a run counted twice; depth and entry count are bounded.
/// </summary>
public static class TreeWalk
{
    /// <summary>Deeper than any experiment or results tree; a bound on what a malicious tree can cost.</summary>
    public const int MaxDepth = 32;

    /// <summary>Entries examined before the walk gives up.</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>Every file (or link to a file) under <paramref name="root"/> whose name matches
    /// <paramref name="pattern"/>, in ordinal order of the full path.</summary>
    /// <exception cref="UnsafeFileException">A folder reached twice (a link loop), too deep, or too many entries.</exception>
    public static IReadOnlyList<string> Files(string root, string pattern)
    {
        var found = new List<string>();
        var seen = new HashSet<(ulong, ulong)>();
        int entries = 0;
        void Walk(string dir, int depth)
        {
            if (depth > MaxDepth) throw new UnsafeFileException(dir, $"folders nested more than {MaxDepth} deep under {root}");
            if (FileKinds.IdentityOf(dir) is not { } id || !seen.Add(id))
                throw new UnsafeFileException(dir, $"reached a second time while searching {root} (a symbolic-link loop, or two links to one folder)");
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
            {
                if (++entries > MaxEntries) throw new UnsafeFileException(root, $"more than {MaxEntries:N0} entries to search");
                switch (FileKinds.Of(entry, followLinks: true).Kind)
                {
                    case FileKind.Directory:
                        Walk(entry, depth + 1);
                        break;
                    case FileKind.Regular when System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, Path.GetFileName(entry)):
                        found.Add(Path.GetFullPath(entry));
                        break;
                    case FileKind.Special when System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, Path.GetFileName(entry)):
                        throw new UnsafeFileException(entry, "not a regular file (a FIFO, device or socket)");
                }
            }
        }
        Walk(root, 0);
        found.Sort(StringComparer.Ordinal);
        return found;
    }
}
