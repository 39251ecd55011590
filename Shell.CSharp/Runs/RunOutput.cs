using System.Text.Json;
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

    const string ProbeName = ".write-probe";

    /// <summary>A new run: the folder must be absent or empty, and writable. What a creation killed
    /// before experiment.yaml was written leaves behind (empty subfolders, run.json, the write probe,
    /// the temporary file of an interrupted write) counts as empty.</summary>
    public static RunOutput Create(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        bool Leftover(string f) =>
            System.IO.Path.GetFileName(f) is var name && (name.StartsWith('.') && name.EndsWith(".tmp") || name == ProbeName
                || name == RunFiles.Settings && System.IO.Path.GetDirectoryName(f) == full);
        if (Directory.Exists(full) && Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Any(f => !Leftover(f)))
            throw new RunOutputException($"output folder {path} is not empty; choose another --out, or continue that run with --resume {path}");
        if (File.Exists(path)) throw new RunOutputException($"output path {path} is a file, not a folder");
        try
        {
            Directory.CreateDirectory(System.IO.Path.Combine(path, RunFiles.Checkpoints));
            Directory.CreateDirectory(System.IO.Path.Combine(path, RunFiles.Analysis));
            var probe = System.IO.Path.Combine(path, ProbeName);
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunOutputException($"cannot write to output folder {path}: {e.Message}");
        }
        var run = new RunOutput(path);
        run.RemoveInterruptedWrites();
        return run;
    }

    /// <summary>An existing run to resume: it must hold experiment.yaml; <see cref="HasCheckpoint"/> says
    /// whether an epoch had finished (without one, the run starts again from its beginning).</summary>
    public static RunOutput Open(string path)
    {
        var run = new RunOutput(path);
        if (!Directory.Exists(path)) throw new RunOutputException($"--resume {path}: no such folder");
        if (!File.Exists(run.ExperimentFile))
            throw new RunOutputException($"--resume {path}: no experiment.yaml, so not a LogitStd run folder" +
                (File.Exists(run.RunSettingsFile) ? " (it was killed while being created: start it again with --out)" : ""));
        run.RemoveInterruptedWrites();
        return run;
    }

    /// <summary>Deletes the temporary files of atomic writes that a kill interrupted (never valid files).</summary>
    public void RemoveInterruptedWrites()
    {
        foreach (var tmp in Directory.EnumerateFiles(Path, ".*.tmp", SearchOption.AllDirectories).ToList()) File.Delete(tmp);
    }

    /// <summary>Whether the run holds the checkpoint of a finished epoch.</summary>
    public bool HasCheckpoint => File.Exists(LatestCheckpoint);

    /// <summary>Removes what a run that never finished an epoch may have left (metrics, events,
    /// analysis, temporary files), keeping experiment.yaml, so that it starts from its beginning.</summary>
    public void ClearForRestart()
    {
        foreach (var file in new[] { RunFiles.Metrics, RunFiles.MetricsJsonl, RunFiles.Summary }) File.Delete(PathOf(file));
        File.Delete(BestCheckpoint);
        foreach (var dir in new[] { RunFiles.Events, RunFiles.Analysis })
        {
            var d = System.IO.Path.Combine(Path, dir);
            if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
        Directory.CreateDirectory(AnalysisDir);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(LatestCheckpoint)!);
    }

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
            using var doc = JsonDocument.Parse(File.ReadAllText(RunSettingsFile));
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
            using var doc = JsonDocument.Parse(File.ReadAllText(RunSettingsFile));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("threads", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var n) && n > 0
                ? n : throw new RunFolderException(RunSettingsFile, null, "no positive integer 'threads'");
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
