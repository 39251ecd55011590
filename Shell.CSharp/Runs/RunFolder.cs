namespace LogitStd.Shell.Runs;

/// <summary>One finished (or interrupted) training run's folder, read through the files documented in
/// <c>docs/run-folder.md</c> only: <c>summary.json</c>, <c>metrics.csv</c> and
/// <c>analysis/*_test_logits.csv</c>. The summary is read when the folder is opened; the larger files
/// when asked for, so a figure reads only what it draws.</summary>
public sealed class RunFolder
{
    private RunFolder(string path, RunSummary summary)
    {
        Path = path;
        Summary = summary;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>The run's <c>summary.json</c>.</summary>
    public RunSummary Summary { get; }

    /// <summary><c>metrics.csv</c>.</summary>
    public string MetricsFile => File(RunFiles.Metrics);

    /// <summary><c>analysis/student_test_logits.csv</c>: the trained model's logits (a teacher run's too).</summary>
    public string StudentLogitsFile => File(RunFiles.TestLogits("student"));

    /// <summary><c>analysis/teacher_test_logits.csv</c>: written by distillation runs only.</summary>
    public string TeacherLogitsFile => File(RunFiles.TestLogits("teacher"));

    /// <summary>Whether the run saved its teacher's logits.</summary>
    public bool HasTeacherLogits => System.IO.File.Exists(TeacherLogitsFile);

    /// <summary>Opens <paramref name="path"/> and reads its <c>summary.json</c>.</summary>
    /// <exception cref="RunFolderException">The folder or its summary is missing or malformed.</exception>
    public static RunFolder Open(string path)
    {
        if (!Directory.Exists(path)) throw new RunFolderException(path, null, "run folder not found");
        return new RunFolder(path, RunSummary.Read(System.IO.Path.Combine(path, RunFiles.Summary)));
    }

    /// <summary>Every run folder (a folder holding <c>summary.json</c>) at or below <paramref name="dirs"/>,
    /// with its summary, in ordinal order of the summary files' paths under each folder.</summary>
    /// <exception cref="RunFolderException">A folder is missing, or a summary is missing a field or malformed.</exception>
    /// <exception cref="SafeIO.UnsafeFileException">A link loop, a folder reached twice, or a summary that is no regular file.</exception>
    public static IReadOnlyList<(string Dir, RunSummary Summary)> Collect(IEnumerable<string> dirs)
    {
        var list = new List<(string, RunSummary)>();
        foreach (var dir in dirs)
        {
            if (!Directory.Exists(dir)) throw new RunFolderException(dir, null, "run folder not found");
            // A link loop or a second link to one run is an error, not an endless walk or a run counted twice.
            foreach (var file in SafeIO.TreeWalk.Files(dir, RunFiles.Summary))
                list.Add((System.IO.Path.GetDirectoryName(file)!, RunSummary.Read(file)));
        }
        return list;
    }

    /// <summary>Every row of <c>metrics.csv</c>.</summary>
    public IReadOnlyList<EpochMetrics> ReadMetrics() => EpochMetricsReader.Read(MetricsFile);

    /// <summary>The trained model's test logits.</summary>
    public LogitMatrix ReadStudentLogits() =>
        LogitMatrix.ReadCsv(StudentLogitsFile, "the trainer writes it when the run finishes; is the run done?");

    /// <summary>The teacher's test logits, saved beside a distillation run's own.</summary>
    public LogitMatrix ReadTeacherLogits() =>
        LogitMatrix.ReadCsv(TeacherLogitsFile, Summary.Teacher is null
            ? $"run \"{Summary.Name}\" has no teacher, so it has no teacher logits; this figure needs a distillation run"
            : "a distillation run writes it when it finishes; is the run done?");

    private string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
