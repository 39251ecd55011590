using System.Text.Json;
using System.Text.Json.Nodes;

namespace LogitStd.Shell.Reference;

/// <summary>A [B][K] matrix for the main view and, for mlkd-objective, the strong view.</summary>
public sealed record Views(double[][] Weak, double[][]? Strong);

/// <summary>A loss value (scalar, or matrix for zscore) and its gradients.</summary>
public sealed record Outcome(double? Scalar, double[][]? Matrix, Views? GradStudent, double? GradTemperatureParam);

/// <summary>One case of a <c>logitstd-reference/1</c> file.</summary>
public sealed record ReferenceCase(
    string Name, string Loss, bool Standardize, IReadOnlyDictionary<string, double> Params,
    Views Student, Views? Teacher, long[]? Target, Outcome Expected, JsonObject Raw);

/// <summary>A malformed reference file: names the file and the case.</summary>
public sealed class ReferenceFormatException(string file, string? caseName, string message)
    : InputException($"{file}: {(caseName is null ? "" : $"case '{caseName}': ")}{message}")
{
    public string File { get; } = file;
    public string? CaseName { get; } = caseName;
}

/// <summary>Reads and writes the reference-vector format (shared/reference-vectors.md).</summary>
public static class ReferenceFile
{
    public const string Format = "logitstd-reference/1";

    public static readonly IReadOnlySet<string> Losses = new HashSet<string>
        { "zscore", "kd", "dkd", "kd-objective", "dkd-objective", "mlkd-objective", "ctkd", "dist", "nkd", "wttm", "rld" };

    static readonly Dictionary<string, string[]> RequiredParams = new()
    {
        ["zscore"] = [],
        ["kd"] = ["temperature"],
        ["dkd"] = ["alpha", "beta", "temperature"],
        ["kd-objective"] = ["temperature", "ce_weight", "kd_weight"],
        ["dkd-objective"] = ["alpha", "beta", "temperature", "ce_weight", "epoch", "warmup"],
        ["mlkd-objective"] = ["temperature", "ce_weight", "kd_weight"],
        ["ctkd"] = ["t_start", "t_end", "temperature_param", "grl_lambda"],
        ["dist"] = ["temperature", "beta", "gamma"],
        ["nkd"] = ["temperature", "gamma"],
        ["wttm"] = ["gamma"],
        ["rld"] = ["alpha", "beta", "temperature", "alpha_temperature"],
    };

    /// <summary>Reference files hold a few thousand vectors: far below this.</summary>
    const long MaxBytes = 256L << 20;

    /// <summary>Loads every case of a file; throws <see cref="ReferenceFormatException"/> on any malformation.</summary>
    public static (string Source, IReadOnlyList<ReferenceCase> Cases) Load(string path)
    {
        if (!File.Exists(path)) throw new ReferenceFormatException(path, null, "file not found");
        JsonNode? root;
        try { root = JsonNode.Parse(SafeIO.BoundedRead.Text(path, MaxBytes, "reference file")); }
        catch (SafeIO.UnsafeFileException e) { throw new ReferenceFormatException(path, null, e.Problem); }
        catch (JsonException e) { throw new ReferenceFormatException(path, null, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}"); }
        if (root is not JsonObject obj) throw new ReferenceFormatException(path, null, "the top level must be a JSON object");
        var format = TryString(obj["format"]);
        if (format != Format) throw new ReferenceFormatException(path, null, $"format must be \"{Format}\", found \"{format ?? "(missing)"}\"");
        var source = obj["source"] is null ? "" : TryString(obj["source"]) ?? throw new ReferenceFormatException(path, null, "\"source\" must be a string");
        if (obj["cases"] is not JsonArray cases) throw new ReferenceFormatException(path, null, "\"cases\" must be an array");
        var list = new List<ReferenceCase>();
        var names = new HashSet<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i] as JsonObject ?? throw new ReferenceFormatException(path, $"#{i}", "a case must be an object");
            var name = TryString(c["name"]) ?? throw new ReferenceFormatException(path, $"#{i}", "missing \"name\"");
            if (!names.Add(name)) throw new ReferenceFormatException(path, name, "duplicate case name");
            try { list.Add(ParseCase(name, c)); }
            catch (ReferenceFormatException) { throw; }
            catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException or KeyNotFoundException)
            { throw new ReferenceFormatException(path, name, e.Message); }
        }
        return (source, list);

        ReferenceCase ParseCase(string name, JsonObject c)
        {
            ReferenceFormatException Bad(string m) => new(path, name, m);
            var loss = TryString(c["loss"]) ?? throw Bad("missing \"loss\"");
            if (!Losses.Contains(loss)) throw Bad($"unknown loss \"{loss}\" (expected one of {string.Join(", ", Losses)})");
            var standardize = c["standardize"] is JsonValue sv && sv.TryGetValue<bool>(out var b) ? b : throw Bad("\"standardize\" must be true or false");
            var ps = new Dictionary<string, double>();
            if (c["params"] is JsonObject po)
                foreach (var (k, v) in po) ps[k] = Number(v, $"params.{k}", Bad);
            else if (c["params"] is not null) throw Bad("\"params\" must be an object");
            foreach (var req in RequiredParams[loss])
                if (!ps.ContainsKey(req)) throw Bad($"loss {loss} needs params.{req}");
            bool twoViews = loss == "mlkd-objective";
            var student = ReadViews(c["student"], "student", twoViews, Bad) ?? throw Bad("missing \"student\"");
            var teacher = ReadViews(c["teacher"], "teacher", twoViews, Bad);
            if (loss != "zscore" && teacher is null) throw Bad($"loss {loss} needs \"teacher\"");
            long[]? target = null;
            if (c["target"] is JsonArray ta)
                target = ta.Select((v, j) => (long)Number(v, $"target[{j}]", Bad)).ToArray();
            if (loss is "dkd" or "kd-objective" or "dkd-objective" or "mlkd-objective" or "nkd" or "rld" && target is null) throw Bad($"loss {loss} needs \"target\"");
            CheckShapes(student, teacher, target, Bad);
            if (c["expected"] is not JsonObject eo) throw Bad("missing \"expected\" object");
            double? scalar = null; double[][]? matrix = null;
            if (loss == "zscore") matrix = Matrix(eo["value"], "expected.value", Bad);
            else scalar = Number(eo["value"], "expected.value", Bad);
            var grad = ReadViews(eo["grad_student"], "expected.grad_student", twoViews, Bad);
            double? gt = eo["grad_temperature_param"] is null ? null : Number(eo["grad_temperature_param"], "expected.grad_temperature_param", Bad);
            return new ReferenceCase(name, loss, standardize, ps, student, teacher, target, new Outcome(scalar, matrix, grad, gt), c);
        }
    }

    static void CheckShapes(Views s, Views? t, long[]? y, Func<string, ReferenceFormatException> bad)
    {
        int b = s.Weak.Length, k = s.Weak[0].Length;
        void Same(double[][] m, string what)
        {
            if (m.Length != b || m[0].Length != k) throw bad($"{what} is [{m.Length}][{m[0].Length}] but student is [{b}][{k}]");
        }
        if (s.Strong is not null) Same(s.Strong, "student.strong");
        if (t is not null) { Same(t.Weak, "teacher"); if (t.Strong is not null) Same(t.Strong, "teacher.strong"); }
        if (y is not null && y.Length != b) throw bad($"target has {y.Length} labels for a batch of {b}");
        if (y is not null && y.Any(v => v < 0 || v >= k)) throw bad($"target holds a label outside [0, {k})");
    }

    static string? TryString(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static double Number(JsonNode? n, string what, Func<string, ReferenceFormatException> bad)
    {
        if (n is JsonValue v)
        {
            if (v.TryGetValue<double>(out var d)) return d;
            if (v.TryGetValue<string>(out var s))
                return s switch
                {
                    "NaN" => double.NaN,
                    "Infinity" => double.PositiveInfinity,
                    "-Infinity" => double.NegativeInfinity,
                    _ => throw bad($"{what}: \"{s}\" is not a number"),
                };
        }
        throw bad($"{what} must be a number");
    }

    static double[][] Matrix(JsonNode? n, string what, Func<string, ReferenceFormatException> bad)
    {
        if (n is not JsonArray rows || rows.Count == 0) throw bad($"{what} must be a non-empty [B][K] array");
        var m = new double[rows.Count][];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] is not JsonArray row || row.Count == 0) throw bad($"{what}[{i}] must be a non-empty array");
            m[i] = new double[row.Count];
            for (int j = 0; j < row.Count; j++) m[i][j] = Number(row[j], $"{what}[{i}][{j}]", bad);
            if (m[i].Length != m[0].Length) throw bad($"{what} is ragged: row {i} has {m[i].Length} values, row 0 has {m[0].Length}");
        }
        return m;
    }

    static Views? ReadViews(JsonNode? n, string what, bool twoViews, Func<string, ReferenceFormatException> bad)
    {
        if (n is null) return null;
        if (!twoViews) return new Views(Matrix(n, what, bad), null);
        if (n is not JsonObject o) throw bad($"{what} must be an object {{\"weak\": ..., \"strong\": ...}} for mlkd-objective");
        return new Views(Matrix(o["weak"], what + ".weak", bad), Matrix(o["strong"], what + ".strong", bad));
    }

    // ---- writing ----

    static JsonNode Num(double d) =>
        double.IsNaN(d) ? JsonValue.Create("NaN")! :
        double.IsPositiveInfinity(d) ? JsonValue.Create("Infinity")! :
        double.IsNegativeInfinity(d) ? JsonValue.Create("-Infinity")! : JsonValue.Create(d)!;

    static JsonArray ToJson(double[][] m) => new(m.Select(r => (JsonNode)new JsonArray(r.Select(Num).ToArray())).ToArray());

    static JsonNode ToJson(Views v) =>
        v.Strong is null ? ToJson(v.Weak) : new JsonObject { ["weak"] = ToJson(v.Weak), ["strong"] = ToJson(v.Strong) };

    /// <summary>Writes the cases with LogitStd's own values in place of <c>expected</c>.</summary>
    public static void WriteWithActual(string path, string source, IReadOnlyList<(ReferenceCase Case, Outcome Actual)> cases)
    {
        var arr = new JsonArray();
        foreach (var (c, a) in cases)
        {
            var o = (JsonObject)c.Raw.DeepClone();
            var e = new JsonObject
            {
                ["value"] = a.Matrix is not null ? ToJson(a.Matrix) : Num(a.Scalar ?? double.NaN),
                ["grad_student"] = a.GradStudent is null ? null : ToJson(a.GradStudent),
            };
            if (a.GradTemperatureParam is double g) e["grad_temperature_param"] = Num(g);
            o["expected"] = e;
            arr.Add(o);
        }
        var root = new JsonObject
        {
            ["format"] = Format,
            ["source"] = $"LogitStd {typeof(ReferenceFile).Assembly.GetName().Version} recomputation of: {source}",
            ["cases"] = arr,
        };
        Persistence.Atomic.WriteText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }
}
