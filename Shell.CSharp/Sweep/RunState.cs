using System.Text.Json;

namespace LogitStd.Shell.Sweep;

/// <summary>Where a run folder stands, as a sweep sees it.</summary>
public enum RunStatus
{
    /// <summary>No folder, or one left by a run that died before its first checkpoint.</summary>
    Fresh,
    /// <summary>checkpoints/latest.ckpt exists: continue with --resume.</summary>
    Resumable,
    /// <summary>summary.json says <c>"finished": true</c> and the analysis logits are written.</summary>
    Finished,
}

public static class RunState
{
    /// <summary>The status of the run folder <paramref name="dir"/> (docs/run-folder.md).</summary>
    public static RunStatus Of(string dir)
    {
        var summary = Path.Combine(dir, "summary.json");
        if (File.Exists(summary) && File.Exists(Path.Combine(dir, "analysis", "student_test_logits.csv")) && IsFinished(summary))
            return RunStatus.Finished;
        return File.Exists(Path.Combine(dir, "checkpoints", "latest.ckpt")) ? RunStatus.Resumable : RunStatus.Fresh;
    }

    static bool IsFinished(string summary)
    {
        try
        {
            using var doc = JsonDocument.Parse(SafeIO.BoundedRead.Text(summary, Runs.RunSummary.MaxBytes, "summary.json"));
            return doc.RootElement.TryGetProperty("finished", out var f) && f.ValueKind == JsonValueKind.True;
        }
        catch (JsonException) { return false; } // a torn file: the run is not finished
    }
}
