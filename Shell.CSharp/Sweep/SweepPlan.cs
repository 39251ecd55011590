using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogitStd.Shell.Sweep;

/// <summary>A bad or unreadable plan.json: the file is at fault (exit 1), the message names it.</summary>
public sealed class SweepPlanException(string message) : InputException(message);

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

    /// <summary><c>OUT/.logitstd-sweep</c>: the file by which the program knows a folder as a sweep's it created.</summary>
    public static string MarkerFile(string outDir) => Path.Combine(Path.GetFullPath(outDir), ".logitstd-sweep");

    /// <summary>
    /// Why <c>sweep --out</c> may not use <paramref name="outDir"/>, or null: it must be absent, empty, or a
    /// sweep folder this program created (its marker, or — written before markers — its <c>sweep/plan.json</c>).
    /// </summary>
    public static string? RefusalOf(string outDir)
    {
        var full = Path.GetFullPath(outDir);
        return SafeIO.FileKinds.Of(full).Kind switch
        {
            SafeIO.FileKind.Missing => null,
            SafeIO.FileKind.SymbolicLink => $"--out {outDir} is a symbolic link; name a real folder",
            // The sweep's own folders must be folders: a link planted as sweep/ or sweep/logs would carry the plan and the logs elsewhere.
            SafeIO.FileKind.Directory when new[] { SweepDir(full), LogDir(full) }.Any(d => SafeIO.FileKinds.Of(d).Kind is not (SafeIO.FileKind.Missing or SafeIO.FileKind.Directory)) =>
                $"--out {outDir}: {SweepDir(full)} or {LogDir(full)} is not a folder (a symbolic link?); a sweep writes only into folders of its own",
            SafeIO.FileKind.Directory when SafeIO.FileKinds.Of(MarkerFile(full)).Kind == SafeIO.FileKind.Regular
                || SafeIO.FileKinds.Of(PlanFile(full)).Kind == SafeIO.FileKind.Regular || !Directory.EnumerateFileSystemEntries(full).Any() => null,
            SafeIO.FileKind.Directory => $"--out {outDir} is not empty and is not a LogitStd sweep folder (it has no .logitstd-sweep): " +
                "a sweep writes only into a new or empty folder, so that no file of yours is overwritten or deleted",
            _ => $"--out {outDir} is a file, not a folder",
        };
    }

    /// <summary>Marks <paramref name="outDir"/> as a sweep folder (created if absent).</summary>
    public static void MarkFolder(string outDir)
    {
        Directory.CreateDirectory(outDir);
        if (!File.Exists(MarkerFile(outDir))) Persistence.Atomic.WriteText(MarkerFile(outDir), FormatName + "\n");
    }

    /// <summary>Writes the plan to <paramref name="path"/> (atomically, <see cref="Persistence.Atomic"/>).</summary>
    /// <exception cref="OutputWriteException">The machine refused the write.</exception>
    public void Write(string path)
    {
        try { Directory.CreateDirectory(Path.GetDirectoryName(path)!); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new OutputWriteException(path, e); }
        Persistence.Atomic.WriteText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>A plan of thousands of runs is a few megabytes.</summary>
    const long MaxBytes = 64 << 20;

    /// <summary>
    /// Reads a plan and checks that it can only touch its own sweep: the plan lies at <c>OUT/sweep/plan.json</c>
    /// of the <c>out</c> it names, and every run's folder is <c>OUT/NAME</c> for a plain name — a plan edited
    /// to name a folder elsewhere (a user's home, <c>OUT/../x</c>) is refused before anything is done.
    /// </summary>
    public static SweepPlan Read(string path)
    {
        if (!File.Exists(path)) throw new SweepPlanException($"{path}: no such plan (written by `logitstd sweep`)");
        SweepPlan? plan;
        try { plan = JsonSerializer.Deserialize<SweepPlan>(SafeIO.BoundedRead.Text(path, MaxBytes, "sweep plan")); }
        catch (JsonException e) { throw new SweepPlanException($"{path}: not a valid plan: {e.Message}"); }
        catch (SafeIO.UnsafeFileException e) { throw new SweepPlanException(e.Message); }
        if (plan is null || plan.Format != FormatName || plan.Runs is null || plan.Program is null || plan.Out is null)
            throw new SweepPlanException($"{path}: not a {FormatName} plan");
        if (PlanFile(plan.Out) != Path.GetFullPath(path))
            throw new SweepPlanException($"{path}: its \"out\" ({plan.Out}) is not the folder the plan lies in; a plan runs only the sweep it belongs to");
        foreach (var run in plan.Runs)
        {
            if (run?.Name is null || run.Dir is null || run.Fresh is null || run.Resume is null)
                throw new SweepPlanException($"{path}: a run without its name, folder or command lines");
            if (NameProblem(run.Name) is { } problem) throw new SweepPlanException($"{path}: run \"{run.Name}\": {problem}");
            if (Path.GetFullPath(run.Dir) != Path.Combine(Path.GetFullPath(plan.Out), run.Name))
                throw new SweepPlanException($"{path}: run {run.Name}'s folder {run.Dir} is not {Path.Combine(plan.Out, run.Name)}; a plan's run folders lie in its out folder");
        }
        return plan;
    }

    /// <summary>Why <paramref name="name"/> cannot be a run folder's name inside OUT, or null.</summary>
    public static string? NameProblem(string name) =>
        name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\\') ? "not a plain folder name"
        : name.Any(char.IsControl) ? "holds a control character (a newline, a tab, …)"
        : name == "sweep" ? "is the sweep's own folder"
        : null;
}
