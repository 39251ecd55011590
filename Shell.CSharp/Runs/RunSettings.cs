using System.Text.Json;
using System.Text.Json.Serialization;
using LogitStd.Shell.SafeIO;

namespace LogitStd.Shell.Runs;

/// <summary>
/// <c>run.json</c> (docs/run-folder.md): how a run computes, written when the run is created, so that a
/// resume — even of a run that never finished an epoch — computes as the run did. This type owns the
/// format: its fields, its reader, its writer (atomic).
/// </summary>
/// <param name="Threads">The torch thread count (part of the run's numerical state).</param>
/// <param name="CpuKernels">The CPU kernels chosen for this machine (<c>Platform.CpuKernels</c>), or null.</param>
/// <param name="TeacherCache">The teacher-cache folder the run reads its teacher's logits from, or null.</param>
public sealed record RunSettings(
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("cpu_kernels"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CpuKernels = null,
    [property: JsonPropertyName("teacher_cache"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TeacherCache = null)
{
    /// <summary>run.json is one short object.</summary>
    const long MaxBytes = 64 << 10;

    /// <summary>Writes the settings to <paramref name="path"/> (atomically).</summary>
    public void Write(string path) => Persistence.Atomic.WriteText(path, JsonSerializer.Serialize(this));

    /// <summary>The settings in <paramref name="path"/>, or null when there is no such file (a run folder written before they were recorded).</summary>
    /// <exception cref="RunFolderException">Not valid JSON, or a field of the wrong type or out of range (names the file and the field).</exception>
    public static RunSettings? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(BoundedRead.Text(path, MaxBytes, "run.json"));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new RunFolderException(path, null, "not a JSON object");
            if (!(root.TryGetProperty("threads", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var threads) && threads > 0))
                throw new RunFolderException(path, null, "no positive integer 'threads'");
            if (threads > Core.CliThreads.MaxThreads)
                throw new RunFolderException(path, null, $"'threads': {threads} is more than the {Core.CliThreads.MaxThreads} threads this program starts");
            string? Text(string name, string what) =>
                !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
                : v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s
                : throw new RunFolderException(path, null, $"'{name}' is not {what}");
            return new RunSettings(threads, Text("cpu_kernels", "a kernel setting"), Text("teacher_cache", "a folder name"));
        }
        catch (JsonException e)
        {
            throw new RunFolderException(path, null, $"not valid JSON ({e.Message})");
        }
    }
}
