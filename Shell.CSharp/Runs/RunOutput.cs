using System.Text.Json;
using LogitStd.Shell.SafeIO;
using Exp = LogitStd.Core.Experiment;

namespace LogitStd.Shell.Runs;

/// <summary>A bad output folder: it exists and is not empty, or cannot be written.</summary>
public sealed class RunOutputException(string message) : InputException(message);

/// <summary>Creates and writes the files of one run (docs/run-folder.md; <see cref="RunFolder"/> reads them).
/// Every write is atomic (<see cref="Persistence.Atomic"/>).</summary>
public sealed class RunOutput
{
    public string Path { get; }
    public string ExperimentFile => System.IO.Path.Combine(Path, RunFiles.Experiment);
    public string LatestCheckpoint => System.IO.Path.Combine(Path, RunFiles.LatestCheckpoint);
    public string BestCheckpoint => System.IO.Path.Combine(Path, RunFiles.BestCheckpoint);
    public string AnalysisDir => System.IO.Path.Combine(Path, RunFiles.Analysis);
    public string SummaryFile => System.IO.Path.Combine(Path, RunFiles.Summary);

    /// <summary>How the run executes (its torch thread count), written when the run is created, so that
    /// a resume — even of a run that never finished an epoch — computes with the same thread count.</summary>
    public string RunSettingsFile => System.IO.Path.Combine(Path, RunFiles.Settings);

    /// <summary>A file of the run by its <see cref="RunFiles"/> name.</summary>
    public string PathOf(string relative) => System.IO.Path.Combine(Path, relative);

    RunOutput(string path) => Path = System.IO.Path.GetFullPath(path);

    /// <summary>
    /// A new run. The folder must be absent, empty, or one this program created (<see cref="RunMarker"/>)
    /// whose creation was killed before experiment.yaml was written; anything else — a folder of the
    /// user's, a symbolic link, a link planted in place of one of the run's subfolders — is refused, so
    /// that nothing the program did not create is ever overwritten or deleted.
    /// </summary>
    /// <param name="path">The <c>--out</c> folder.</param>
    /// <param name="teacherCache">The teacher-cache folder the run may write into (recorded in the marker), or null.</param>
    /// <param name="datasetSha256">The identity of the run's data (recorded in the marker), or null.</param>
    public static RunOutput Create(string path, string? teacherCache = null, string? datasetSha256 = null)
    {
        var full = CheckCreatable(path);
        try
        {
            Directory.CreateDirectory(full);
            new RunMarker(teacherCache, datasetSha256).WriteInto(full); // first: the folder is known as the program's before anything else is written
        }
        // A path that cannot be a folder (a file in the way) is the user's to change: exit 2. A refused marker
        // write (a full disk) is an OutputWriteException, not caught here: the machine's fault, exit 1, naming the file.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunOutputException($"cannot write to output folder {path}: {e.Message}");
        }
        var run = new RunOutput(full);
        Directory.CreateDirectory(run.PathOf(RunFiles.Checkpoints));
        Directory.CreateDirectory(run.AnalysisDir);
        run.RemoveInterruptedWrites();
        return run;
    }

    /// <summary>The checks of <see cref="Create"/>, without creating anything (a command runs them before
    /// its slow work, so that a refused folder is said at once); returns the full path.</summary>
    /// <exception cref="RunOutputException">The folder is not one <c>--out</c> may write into.</exception>
    public static string CheckCreatable(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        switch (FileKinds.Of(full).Kind)
        {
            case FileKind.SymbolicLink:
                throw new RunOutputException($"output folder {path} is a symbolic link; --out must name a real folder (the link's target, or a new folder)");
            case FileKind.Regular or FileKind.Special:
                throw new RunOutputException($"output path {path} is a file, not a folder");
            case FileKind.Directory when RunMarker.IsIn(full):
                if (File.Exists(System.IO.Path.Combine(full, RunFiles.Experiment)))
                    throw new RunOutputException($"output folder {path} is not empty: it holds a run already; continue it with --resume {path}, or choose another --out");
                break; // a creation that was killed before experiment.yaml: what it left is the program's own
            // Empty, or holding only the temporary file of the marker's own write (a creation killed in it).
            case FileKind.Directory when Directory.EnumerateFileSystemEntries(full)
                .Any(e => !(System.IO.Path.GetFileName(e).StartsWith("." + RunMarker.FileName + ".", StringComparison.Ordinal) && AtomicTemp.IsMatch(System.IO.Path.GetFileName(e)))):
                throw new RunOutputException($"output folder {path} is not empty and is not a LogitStd run folder (it has no {RunMarker.FileName}); " +
                    "--out writes only into a new or empty folder, so that no file of yours is overwritten: choose another --out");
        }
        CheckSubfolders(full);
        return full;
    }

    /// <summary>An existing run to resume: it must hold experiment.yaml and be a run folder (its marker, or —
    /// for a folder written before markers — run.json beside experiment.yaml); <see cref="HasCheckpoint"/> says
    /// whether an epoch had finished (without one, the run starts again from its beginning).</summary>
    public static RunOutput Open(string path)
    {
        var run = new RunOutput(path);
        if (FileKinds.Of(run.Path).Kind == FileKind.SymbolicLink)
            throw new RunOutputException($"--resume {path}: a symbolic link; name the run folder itself");
        if (!Directory.Exists(path)) throw new RunOutputException($"--resume {path}: no such folder");
        if (!File.Exists(run.ExperimentFile))
            throw new RunOutputException($"--resume {path}: no experiment.yaml, so not a LogitStd run folder" +
                (File.Exists(run.RunSettingsFile) ? " (it was killed while being created: start it again with --out)" : ""));
        if (!RunMarker.IsIn(run.Path) && !File.Exists(run.RunSettingsFile))
            throw new RunOutputException($"--resume {path}: no {RunMarker.FileName} and no run.json, so not a folder this program created");
        CheckSubfolders(run.Path);
        run.RemoveInterruptedWrites();
        return run;
    }

    /// <summary>Whether <paramref name="dir"/> is a folder this program created for a run (see <see cref="Open"/>).</summary>
    public static bool IsRunFolder(string dir) =>
        FileKinds.Of(dir).Kind == FileKind.Directory && (RunMarker.IsIn(dir)
            || File.Exists(System.IO.Path.Combine(dir, RunFiles.Experiment)) && File.Exists(System.IO.Path.Combine(dir, RunFiles.Settings)));

    /// <summary>Whether a run may be created at <paramref name="dir"/> without touching anything of the
    /// user's: nothing is there, an empty folder, or a run folder of the program's own.</summary>
    public static bool MayHoldRun(string dir) =>
        FileKinds.Of(dir).Kind == FileKind.Missing || IsRunFolder(dir)
        || FileKinds.Of(dir).Kind == FileKind.Directory && !Directory.EnumerateFileSystemEntries(dir).Any();

    /// <summary>The run's subfolders must be its own: a symbolic link planted in place of one (say
    /// <c>checkpoints → /elsewhere</c>) would carry the run's writes and deletions out of the folder.</summary>
    static void CheckSubfolders(string dir)
    {
        foreach (var sub in new[] { RunFiles.Checkpoints, RunFiles.Analysis, RunFiles.Events })
        {
            var path = System.IO.Path.Combine(dir, sub);
            var kind = FileKinds.Of(path).Kind;
            if (kind is FileKind.SymbolicLink or FileKind.Regular or FileKind.Special)
                throw new RunOutputException($"{path} is {(kind == FileKind.SymbolicLink ? "a symbolic link" : "not a folder")}; " +
                    "a run writes only into folders of its own, inside its run folder");
        }
    }

    /// <summary>The temporary files of <see cref="Persistence.Atomic"/> writes: <c>.NAME.&lt;32 hex digits&gt;.tmp</c>.</summary>
    static readonly System.Text.RegularExpressions.Regex AtomicTemp = new(@"^\..+\.[0-9a-f]{32}\.tmp$");

    /// <summary>Deletes the temporary files of atomic writes that a kill interrupted (never valid files),
    /// in the run folder and its own subfolders only, and only files named as the atomic writer names them.</summary>
    public void RemoveInterruptedWrites()
    {
        foreach (var dir in new[] { Path, PathOf(RunFiles.Checkpoints), AnalysisDir })
        {
            if (FileKinds.Of(dir).Kind != FileKind.Directory) continue;
            foreach (var tmp in Directory.EnumerateFiles(dir, ".*.tmp").ToList())
                if (AtomicTemp.IsMatch(System.IO.Path.GetFileName(tmp)) && FileKinds.Of(tmp).Kind == FileKind.Regular) File.Delete(tmp);
        }
    }

    /// <summary>Whether the run holds the checkpoint of a finished epoch.</summary>
    public bool HasCheckpoint => File.Exists(LatestCheckpoint);

    /// <summary>Removes what a run that never finished an epoch may have left (metrics, events,
    /// analysis, temporary files), keeping experiment.yaml, so that it starts from its beginning.
    /// Only files the program writes are deleted.</summary>
    public void ClearForRestart()
    {
        RemoveInterruptedWrites();
        foreach (var file in ProgramFiles(keepExperiment: true)) File.Delete(file);
        Directory.CreateDirectory(AnalysisDir);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(LatestCheckpoint)!);
    }

    /// <summary>
    /// Empties a run folder that never finished an epoch so that it can be created again (a sweep
    /// starting a run afresh): deletes the files this program writes — by their names in
    /// <see cref="RunFiles"/> — and nothing else; the marker stays, so the folder is still known as the
    /// program's. A folder that is not a run folder is refused.
    /// </summary>
    public static void Discard(string dir)
    {
        if (!IsRunFolder(dir)) throw new RunOutputException($"{dir} is not a LogitStd run folder (no {RunMarker.FileName}); nothing in it is deleted");
        var run = new RunOutput(dir);
        CheckSubfolders(run.Path);
        run.RemoveInterruptedWrites();
        foreach (var file in run.ProgramFiles(keepExperiment: false)) File.Delete(file);
        if (!RunMarker.IsIn(run.Path)) new RunMarker(null).WriteInto(run.Path); // a folder of an older version: known by its files, now by its marker
    }

    /// <summary>The files of the run that exist, by the names the program gives them (never a link's target:
    /// deleting a link deletes the link).</summary>
    IEnumerable<string> ProgramFiles(bool keepExperiment)
    {
        var names = new List<string> { RunFiles.Metrics, RunFiles.MetricsJsonl, RunFiles.Summary, RunFiles.BestCheckpoint };
        if (!keepExperiment) names.AddRange([RunFiles.LatestCheckpoint, RunFiles.Experiment, RunFiles.Settings]);
        foreach (var role in new[] { "student", "teacher" })
            names.AddRange([RunFiles.TestLogits(role), RunFiles.ClassMeans(role), RunFiles.SampleStats(role)]);
        var files = names.Select(PathOf).ToList();
        // TensorBoard names its event files events.out.tfevents.<time>.<host>…
        if (FileKinds.Of(PathOf(RunFiles.Events)).Kind == FileKind.Directory)
            files.AddRange(Directory.EnumerateFiles(PathOf(RunFiles.Events), "events.out.tfevents.*"));
        return files.Where(f => FileKinds.Of(f).Kind is FileKind.Regular or FileKind.SymbolicLink).ToList();
    }

    /// <summary>run.json is one short object.</summary>
    const long SettingsMaxBytes = 64 << 10;

    /// <summary>Records the thread count the run computes with, the CPU kernels chosen for this machine (<c>Platform.CpuKernels</c>), and the teacher-cache folder it reads (if any).</summary>
    public void WriteSettings(int threads, string? teacherCache = null)
    {
        var settings = new Dictionary<string, object> { ["threads"] = threads };
        if (Platform.CpuKernels.Setting is { } kernels) settings["cpu_kernels"] = kernels;
        if (teacherCache is not null) settings["teacher_cache"] = teacherCache;
        Persistence.Atomic.WriteText(RunSettingsFile, JsonSerializer.Serialize(settings));
    }

    /// <summary>The teacher-cache folder the run reads its teacher's logits from, or null (none, or a folder written before it was recorded).</summary>
    public string? ReadTeacherCache()
    {
        if (!File.Exists(RunSettingsFile)) return null;
        try
        {
            using var doc = JsonDocument.Parse(BoundedRead.Text(RunSettingsFile, SettingsMaxBytes, "run.json"));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("teacher_cache", out var t)) return null;
            return t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } dir
                ? dir : throw new RunFolderException(RunSettingsFile, null, "'teacher_cache' is not a folder name");
        }
        catch (JsonException e)
        {
            throw new RunFolderException(RunSettingsFile, null, $"not valid JSON ({e.Message})");
        }
    }

    /// <summary>The recorded thread count, or null for a run folder written before it was recorded.</summary>
    public int? ReadThreads()
    {
        if (!File.Exists(RunSettingsFile)) return null;
        try
        {
            using var doc = JsonDocument.Parse(BoundedRead.Text(RunSettingsFile, SettingsMaxBytes, "run.json"));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("threads", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var n) && n > 0
                ? n <= Core.CliThreads.MaxThreads ? n
                    : throw new RunFolderException(RunSettingsFile, null, $"'threads': {n} is more than the {Core.CliThreads.MaxThreads} threads this program starts")
                : throw new RunFolderException(RunSettingsFile, null, "no positive integer 'threads'");
        }
        catch (JsonException e)
        {
            throw new RunFolderException(RunSettingsFile, null, $"not valid JSON ({e.Message})");
        }
    }

    public void WriteExperiment(Exp.Experiment e) => Persistence.Atomic.WriteText(ExperimentFile, Core.Experiments.ToYaml(e));

    /// <summary>Writes <c>summary.json</c>.</summary>
    public void WriteSummary(RunSummary summary) => summary.Write(SummaryFile);
}
