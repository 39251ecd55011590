using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogitStd.Shell.Sweep;

/// <summary>A bad or unreadable plan.json.</summary>
public sealed class SweepPlanException(string message) : Exception(message);

/// <summary>One run of a plan: its folder and the two command lines (fresh start, resume).</summary>
public sealed record PlannedRun(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("dir")] string Dir,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("fresh")] IReadOnlyList<string> Fresh,
    [property: JsonPropertyName("resume")] IReadOnlyList<string> Resume);

/// <summary>
/// <c>OUT/sweep/plan.json</c> (format <c>logitstd-sweep/1</c>): every run of a sweep with its
/// folder and command lines; a local worker or a Slurm array task runs entry <c>--index I</c> with
/// <c>logitstd sweep-task</c>. This type owns the format: its reader, its writer, its atomic write.
/// </summary>
public sealed record SweepPlan(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("out")] string Out,
    [property: JsonPropertyName("program")] IReadOnlyList<string> Program,
    [property: JsonPropertyName("runs")] IReadOnlyList<PlannedRun> Runs)
{
    public const string FormatName = "logitstd-sweep/1";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The sweep's own folder inside OUT (plan, scripts, logs).</summary>
    public static string SweepDir(string outDir) => Path.Combine(Path.GetFullPath(outDir), "sweep");

    public static string PlanFile(string outDir) => Path.Combine(SweepDir(outDir), "plan.json");

    public static string LogDir(string outDir) => Path.Combine(SweepDir(outDir), "logs");

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public static SweepPlan Read(string path)
    {
        if (!File.Exists(path)) throw new SweepPlanException($"{path}: no such plan (written by `logitstd sweep`)");
        SweepPlan? plan;
        try { plan = JsonSerializer.Deserialize<SweepPlan>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new SweepPlanException($"{path}: not a valid plan: {e.Message}"); }
        if (plan is null || plan.Format != FormatName || plan.Runs is null || plan.Program is null)
            throw new SweepPlanException($"{path}: not a {FormatName} plan");
        return plan;
    }
}
