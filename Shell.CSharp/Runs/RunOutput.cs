using System.Text.Json;
using LogitStd.Shell.SafeIO;
using Exp = LogitStd.Core.Experiment;

namespace LogitStd.Shell.Runs;

/// <summary>An output folder the command line may not use: a file, a symbolic link, a folder of the user's, a
/// run already there (exit 2; a folder the machine refuses to write is an <see cref="OutputWriteException"/>, exit 1).</summary>
public sealed class RunOutputException(string message) : UsageException(message);

/// <summary>A run folder whose run was stopped after its marker and before its experiment.yaml: nothing of
/// the run is recorded but the command that created it (<see cref="Command"/>, null in a marker written
/// before commands were recorded). <c>--resume</c> starts that command again into the same folder.</summary>
public sealed class RunNotRecordedException(string folder, IReadOnlyList<string>? command, string message) : UsageException(message)
{
    /// <summary>The run folder (full path).</summary>
    public string Folder { get; } = folder;

    /// <summary>The recorded <c>train</c>/<c>distill</c> command line, or null.</summary>
    public IReadOnlyList<string>? Command { get; } = command;
}

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
    /// A new run, its record written before anything else is done: the folder, the marker (with the
    /// command that created the run), run.json (the thread count), then experiment.yaml — so that a run
    /// killed at any later moment, even before it opened its data, resumes with <c>--resume</c>. The folder
    /// must be absent, empty, or one this program created (<see cref="RunMarker"/>) whose creation was
    /// killed before experiment.yaml was written; anything else — a folder of the user's, a symbolic link,
    /// a link planted in place of one of the run's subfolders — is refused, so that nothing the program
    /// did not create is ever overwritten or deleted.
    /// </summary>
    /// <param name="path">The <c>--out</c> folder.</param>
    /// <param name="experiment">The resolved experiment (experiment.yaml).</param>
    /// <param name="settings">How the run computes (run.json).</param>
    /// <param name="command">The command line that creates the run (recorded in the marker).</param>
    public static RunOutput Create(string path, Exp.Experiment experiment, RunSettings settings, IReadOnlyList<string>? command = null)
    {
        var full = CheckCreatable(path);
        bool existed = Directory.Exists(full);
        try
        {
            Directory.CreateDirectory(full);
        }
        // A path that cannot be a folder (a file in the way) or a parent the user may not write: the machine's
        // answer to the user's path, exit 1, naming it.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputWriteException(path, e);
        }
        var run = new RunOutput(full) { createdFolder = !existed };
        new RunMarker(settings.TeacherCache, null, command).WriteInto(full); // first: the folder is known as the program's before anything else is written
        settings.Write(run.RunSettingsFile); // before experiment.yaml: a folder holding experiment.yaml always knows its thread count
        run.WriteExperiment(experiment);
        Directory.CreateDirectory(run.PathOf(RunFiles.Checkpoints));
        Directory.CreateDirectory(run.AnalysisDir);
        run.RemoveInterruptedWrites();
        return run;
    }

    bool createdFolder;

    /// <summary>
    /// Undoes <see cref="Create"/> for a run refused before it trained (a dataset that does not fit its
    /// models, a missing teacher): deletes the files the program wrote, its marker, and the folder when
    /// the program created it and nothing else is in it, so that the corrected command can use the same
    /// <c>--out</c>. Nothing of the user's is touched.
    /// </summary>
    public void Abandon()
    {
        RemoveInterruptedWrites();
        foreach (var file in ProgramFiles(keepExperiment: false)) File.Delete(file);
        if (RunMarker.IsIn(Path)) File.Delete(RunMarker.PathIn(Path));
        foreach (var sub in new[] { AnalysisDir, PathOf(RunFiles.Checkpoints), PathOf(RunFiles.Events), Path })
        {
            if (sub == Path && !createdFolder) break;
            if (FileKinds.Of(sub).Kind == FileKind.Directory && !Directory.EnumerateFileSystemEntries(sub).Any()) Directory.Delete(sub);
        }
    }

    /// <summary>
    /// The identity of the run's data (<see cref="RunMarker.DatasetSha256"/>): recorded when the run first
    /// opens its data; afterwards a resume on other data is refused.
    /// </summary>
    /// <exception cref="RunFolderException">The data differs from the data the run was created with.</exception>
    public void CheckOrRecordDataset(string datasetSha256, string dataDescription)
    {
        var marker = RunMarker.ReadFrom(Path);
        if (marker?.DatasetSha256 is { } created)
        {
            if (created != datasetSha256)
                throw new RunFolderException(ExperimentFile, null, $"its dataset ({dataDescription}) is not the data the run was created with " +
                    "(its images and labels hash differently); --resume continues a run only on its own data");
            return;
        }
        (marker ?? new RunMarker(null)).With(datasetSha256).WriteInto(Path);
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
            case FileKind.Directory when !HoldsNothingRecorded(full):
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
        if (!Directory.Exists(path))
            throw new RunOutputException($"--resume {path}: no such folder. A run stopped before it created its folder recorded nothing: " +
                $"start it again with the command that started it (its --out {path})");
        if (!File.Exists(run.ExperimentFile))
        {
            if (!RunMarker.IsIn(run.Path))
                throw new RunOutputException($"--resume {path}: no experiment.yaml and no {RunMarker.FileName}, so not a LogitStd run folder" +
                    (HoldsNothingRecorded(run.Path) ? $": a run stopped before it recorded anything leaves its folder so; start it again with the command that started it (its --out {path})" : ""));
            // Stopped between its marker and its experiment: nothing ran; the marker says which command starts it again.
            var command = RunMarker.ReadFrom(run.Path)?.Command;
            throw new RunNotRecordedException(run.Path, command, $"--resume {path}: the run was stopped before it recorded its experiment (no experiment.yaml), so nothing of it ran; " +
                (command is null ? $"start it again with the command that started it (its --out {path})" : "start it again with: logitstd " + string.Join(" ", command.Select(ShellQuote))));
        }
        if (!RunMarker.IsIn(run.Path) && !File.Exists(run.RunSettingsFile))
            throw new RunOutputException($"--resume {path}: no {RunMarker.FileName} and no run.json, so not a folder this program created");
        CheckSubfolders(run.Path);
        run.RemoveInterruptedWrites();
        return run;
    }

    /// <summary>Whether <paramref name="dir"/> is empty, or holds only the temporary file of the marker's own
    /// write (a creation killed in it): nothing of a run is recorded there.</summary>
    static bool HoldsNothingRecorded(string dir) =>
        !Directory.EnumerateFileSystemEntries(dir).Any(e =>
            !(System.IO.Path.GetFileName(e).StartsWith("." + RunMarker.FileName + ".", StringComparison.Ordinal) && AtomicTemp.IsMatch(System.IO.Path.GetFileName(e))));

    /// <summary>An argument as a POSIX shell reads it back: quoted when it holds anything but safe characters.</summary>
    static string ShellQuote(string a) =>
        a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

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

    /// <summary>The run's <see cref="RunSettings"/> (run.json), or null for a run folder written before they were recorded.</summary>
    /// <exception cref="RunFolderException">run.json is damaged.</exception>
    public RunSettings? ReadSettings() => RunSettings.Read(RunSettingsFile);

    /// <summary>The recorded thread count, or null for a run folder written before it was recorded.</summary>
    public int? ReadThreads() => ReadSettings()?.Threads;

    /// <summary>The teacher-cache folder the run reads its teacher's logits from, or null.</summary>
    public string? ReadTeacherCache() => ReadSettings()?.TeacherCache;

    /// <summary>Writes experiment.yaml (<see cref="Runs.ExperimentFile"/> owns the format).</summary>
    public void WriteExperiment(Exp.Experiment e) => Runs.ExperimentFile.Write(ExperimentFile, e);

    /// <summary>Reads experiment.yaml: a complete, valid experiment, or an error naming the file.</summary>
    public Exp.Experiment ReadExperiment() => Runs.ExperimentFile.Read(ExperimentFile);

    /// <summary>Writes <c>summary.json</c>.</summary>
    public void WriteSummary(RunSummary summary) => summary.Write(SummaryFile);
}
