using System.Text;
using System.Text.Json;

namespace LogitStd.Shell.Runs;

/// <summary>The file <c>logitstd results --json FILE</c> writes (format <see cref="FormatName"/>,
/// docs/figures.md): the per-arm statistics and the comparisons of <see cref="Comparisons"/>, for
/// scripts (the Cake study target decides from it which arms get more seeds).</summary>
public static class ResultsJson
{
    /// <summary>The value of the file's <c>format</c> field.</summary>
    public const string FormatName = "logitstd-results/1";

    /// <summary>The JSON text, fields in the documented order; a NaN half-width (one pair) is <c>null</c>.</summary>
    public static string Serialize(IReadOnlyList<ArmStats> arms, IReadOnlyList<Comparison> comparisons, IReadOnlyList<string> unfinished)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            // τ, · and − as themselves: the formulas stay readable; still valid JSON.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteStartArray("arms");
            foreach (var a in arms)
            {
                w.WriteStartObject();
                Identity(w, a.Student, a.Teacher, a.Method);
                w.WriteString("objective", a.Objective);
                w.WriteBoolean("standardize", a.Standardize);
                w.WriteNumber("seeds", a.Seeds);
                w.WriteNumber("best_top1_mean", a.BestMean);
                w.WriteNumber("best_top1_std", a.BestStd);
                w.WriteNumber("final_top1_mean", a.FinalMean);
                w.WriteNumber("final_top1_std", a.FinalStd);
                Strings(w, "runs", a.Runs);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("comparisons");
            foreach (var c in comparisons)
            {
                w.WriteStartObject();
                w.WriteString("kind", c.KindName);
                Identity(w, c.Student, c.Teacher, c.Method);
                w.WriteString("objective", c.Objective);
                w.WriteBoolean("standardize", c.Standardize);
                w.WriteString("baseline_objective", c.BaselineObjective);
                w.WriteBoolean("baseline_standardize", c.BaselineStandardize);
                w.WriteNumber("pairs", c.Pairs);
                w.WriteNumber("mean", c.Mean);
                // JSON has no NaN: a single pair has no interval, written as null.
                if (double.IsNaN(c.HalfWidth)) w.WriteNull("half_width");
                else w.WriteNumber("half_width", c.HalfWidth);
                w.WriteStartArray("seeds");
                foreach (var s in c.Seeds) w.WriteNumberValue(s);
                w.WriteEndArray();
                Strings(w, "runs", c.Runs);
                Strings(w, "baseline_runs", c.BaselineRuns);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Strings(w, "unfinished", unfinished);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Writes <see cref="Serialize"/>'s text to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<ArmStats> arms, IReadOnlyList<Comparison> comparisons, IReadOnlyList<string> unfinished) =>
        Persistence.Atomic.WriteText(path, Serialize(arms, comparisons, unfinished));

    static void Identity(Utf8JsonWriter w, string student, string? teacher, string method)
    {
        w.WriteString("student", student);
        if (teacher is null) w.WriteNull("teacher");
        else w.WriteString("teacher", teacher);
        w.WriteString("method", method);
    }

    static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
