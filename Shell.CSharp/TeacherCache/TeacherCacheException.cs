namespace LogitStd.Shell.TeacherCache;

/// <summary>A teacher cache file that cannot be used: truncated, damaged, of another format, or made for
/// another teacher, dataset or transform. The message names the file and what is wrong (exit 1); deleting
/// the file lets the next run build it again.</summary>
public sealed class TeacherCacheException(string file, string problem)
    : InputException($"teacher cache {file}: {problem}")
{
    /// <summary>The cache file.</summary>
    public string File { get; } = file;
}
