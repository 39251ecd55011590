using System.Text.Json;
using LogitStd.Shell.SafeIO;

namespace LogitStd.Shell.Runs;

/// <summary>
/// <c>.logitstd-run</c>: the file by which the program knows a folder as one it created for a run.
/// It is written first, when the folder is created; it records what the run was created with that a
/// later <c>--resume</c> must not change behind the user's back: the teacher-cache folder it may write
/// into, the command line that created it (so that a run stopped before it recorded its experiment can
/// say exactly which command starts it again), and — added once, when the run first opens its data —
/// the identity of its data. Only a folder holding it is ever written into by <c>--out</c> or cleaned
/// by a sweep; everything else a user names is refused (exit 2).
/// </summary>
public sealed record RunMarker(string? TeacherCache, string? DatasetSha256 = null, IReadOnlyList<string>? Command = null)
{
    public const string FileName = ".logitstd-run";
    public const string Format = "logitstd-run/1";

    /// <summary>A marker is one short JSON object.</summary>
    const long MaxBytes = 64 << 10;

    public static string PathIn(string dir) => Path.Combine(dir, FileName);

    /// <summary>Writes the marker into <paramref name="dir"/> (atomically).</summary>
    public void WriteInto(string dir)
    {
        var json = new Dictionary<string, object?> { ["format"] = Format, ["teacher_cache"] = TeacherCache, ["dataset_sha256"] = DatasetSha256, ["command"] = Command };
        Persistence.Atomic.WriteText(PathIn(dir), JsonSerializer.Serialize(json));
    }

    /// <summary>The marker with the identity of the run's data added (<see cref="RunOutput.CheckOrRecordDataset"/>).</summary>
    public RunMarker With(string datasetSha256) => this with { DatasetSha256 = datasetSha256 };

    /// <summary>Whether <paramref name="dir"/> holds a marker: a regular file (a link is not one) of this name.</summary>
    public static bool IsIn(string dir) => FileKinds.Of(PathIn(dir)).Kind == FileKind.Regular;

    /// <summary>The marker of <paramref name="dir"/>, or null when it holds none.</summary>
    /// <exception cref="RunFolderException">The marker is not one this program wrote.</exception>
    public static RunMarker? ReadFrom(string dir)
    {
        if (!IsIn(dir)) return null;
        var file = PathIn(dir);
        try
        {
            using var doc = JsonDocument.Parse(BoundedRead.Text(file, MaxBytes, "run marker"));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.GetString() != Format)
                throw new RunFolderException(file, null, $"not a {Format} marker");
            string? Text(string name) => root.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            IReadOnlyList<string>? command = root.TryGetProperty("command", out var c) && c.ValueKind == JsonValueKind.Array
                ? c.EnumerateArray().Select(a => a.ValueKind == JsonValueKind.String ? a.GetString()! : throw new RunFolderException(file, null, "'command' holds a non-string")).ToList()
                : null;
            return new RunMarker(Text("teacher_cache"), Text("dataset_sha256"), command);
        }
        catch (JsonException e)
        {
            throw new RunFolderException(file, null, $"not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            throw new RunFolderException(file, null, $"not a {Format} marker ({e.Message})");
        }
    }
}
