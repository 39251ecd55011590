using System.Text.Json;

namespace LogitStd.Shell.Runs;

/// <summary>Where a run folder stands (a sweep asks, to skip, resume or start each run).</summary>
public enum RunStatus
{
    /// <summary>No folder, or one left by a run that died before its first checkpoint.</summary>
    Fresh,
    /// <summary>checkpoints/latest.ckpt exists: continue with --resume.</summary>
    Resumable,
    /// <summary>summary.json says <c>"finished": true</c> and the analysis logits are written.</summary>
    Finished,
}

/// <summary>The status of a run folder, read from the files <see cref="RunFiles"/> names.</summary>
public static class RunState
{
    /// <summary>The status of the run folder <paramref name="dir"/> (docs/run-folder.md).</summary>
    public static RunStatus Of(string dir)
    {
        var summary = Path.Combine(dir, RunFiles.Summary);
        if (File.Exists(summary) && File.Exists(Path.Combine(dir, RunFiles.TestLogits("student"))) && IsFinished(summary))
            return RunStatus.Finished;
        return File.Exists(LatestCheckpoint(dir)) ? RunStatus.Resumable : RunStatus.Fresh;
    }

    /// <summary>The checkpoint a resume of <paramref name="dir"/> continues from.</summary>
    public static string LatestCheckpoint(string dir) => Path.Combine(dir, RunFiles.LatestCheckpoint);

    static bool IsFinished(string summary)
    {
        try
        {
            using var doc = JsonDocument.Parse(SafeIO.BoundedRead.Text(summary, RunSummary.MaxBytes, RunFiles.Summary));
            return doc.RootElement.TryGetProperty("finished", out var f) && f.ValueKind == JsonValueKind.True;
        }
        catch (JsonException) { return false; } // a torn file: the run is not finished
    }
}
