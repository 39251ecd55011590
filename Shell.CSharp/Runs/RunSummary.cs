using System.Globalization;
using System.Text.Json;

namespace LogitStd.Shell.Runs;

/// <summary>A run's <c>summary.json</c> (docs/run-folder.md): what ran and how it ended.</summary>
/// <param name="Name">The run's name.</param>
/// <param name="Dataset">The dataset, e.g. <c>fashion-mnist</c>.</param>
/// <param name="Classes">K, the number of classes.</param>
/// <param name="Student">The trained model (for a teacher's own run, the teacher).</param>
/// <param name="Teacher">The teacher model, or null for a run without one (teachers, the no-KD baseline).</param>
/// <param name="Method"><c>none</c>, <c>kd</c>, <c>dkd</c>, <c>mlkd</c>, <c>ctkd</c> or <c>custom</c>.</param>
/// <param name="Standardize">Whether the logits were Z-scored inside the distillation loss (+LS).</param>
/// <param name="Seed">The random seed.</param>
/// <param name="Epochs">The planned number of epochs.</param>
/// <param name="Objective">The objective's formula, e.g. <c>0.1·CE + 9·KD(τ=2, zscore)</c>.</param>
/// <param name="BestTop1">Best test top-1 over the epochs, in percent.</param>
/// <param name="BestEpoch">The epoch of <paramref name="BestTop1"/>.</param>
/// <param name="FinalTop1">Test top-1 after the last epoch, in percent.</param>
/// <param name="FinalTop5">Test top-5 after the last epoch, in percent.</param>
/// <param name="Finished">Whether every planned epoch ran.</param>
/// <param name="EpochsDone">Epochs finished so far (null in summaries written before it was recorded).</param>
public sealed record RunSummary(
    string Name, string Dataset, int Classes, string Student, string? Teacher, string Method,
    bool Standardize, int Seed, int Epochs, string Objective, double BestTop1, int BestEpoch,
    double FinalTop1, double FinalTop5, bool Finished, int? EpochsDone = null)
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the summary atomically, fields in the documented order (docs/run-folder.md).</summary>
    public void Write(string path)
    {
        var fields = new Dictionary<string, object?>
        {
            ["name"] = Name, ["dataset"] = Dataset, ["classes"] = Classes, ["student"] = Student, ["teacher"] = Teacher,
            ["method"] = Method, ["standardize"] = Standardize, ["seed"] = Seed, ["epochs"] = Epochs,
            ["epochs_done"] = EpochsDone, ["objective"] = Objective, ["best_top1"] = BestTop1, ["best_epoch"] = BestEpoch,
            ["final_top1"] = FinalTop1, ["final_top5"] = FinalTop5, ["finished"] = Finished,
        };
        Persistence.Atomic.WriteText(path, JsonSerializer.Serialize(fields, Indented));
    }

    /// <summary>The methods the trainer writes; anything else means the file is not one of ours.</summary>
    public static readonly IReadOnlyList<string> Methods = LogitStd.Core.Experiments.MethodNames;

    /// <summary>The method as the paper writes it, with <c>+LS</c> when standardized: <c>KD+LS</c>, <c>no KD</c>.</summary>
    public string MethodLabel =>
        (Method == "none" ? "no KD" : Method.ToUpperInvariant()) + (Standardize ? "+LS" : "");

    /// <summary>A legend entry: method, +LS and seed, e.g. <c>DKD+LS, seed 3</c>.</summary>
    public string Label => $"{MethodLabel}, seed {Seed.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A summary is a few hundred bytes; a larger file is not one.</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>Reads and validates <paramref name="path"/>; every problem names the file (and the line for bad JSON).</summary>
    public static RunSummary Read(string path)
    {
        if (!System.IO.File.Exists(path)) throw new RunFolderException(path, null, "file not found (every run folder has a summary.json)");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(SafeIO.BoundedRead.Text(path, MaxBytes, "summary.json"));
        }
        catch (JsonException e)
        {
            // JsonException counts lines from 0.
            throw new RunFolderException(path, e.LineNumber is { } l ? (int)l + 1 : null, $"not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new RunFolderException(path, null, "expected one JSON object");
            var f = new Fields(path, root);
            var method = f.String("method");
            if (!Methods.Contains(method))
                throw new RunFolderException(path, null, $"field \"method\" is \"{method}\"; expected one of {string.Join(", ", Methods)}");
            return new RunSummary(
                Name: f.String("name"), Dataset: f.String("dataset"), Classes: f.Int("classes"),
                Student: f.String("student"), Teacher: f.NullableString("teacher"), Method: method,
                Standardize: f.Bool("standardize"), Seed: f.Int("seed"), Epochs: f.Int("epochs"),
                Objective: f.String("objective"), BestTop1: f.Double("best_top1"), BestEpoch: f.Int("best_epoch"),
                FinalTop1: f.Double("final_top1"), FinalTop5: f.Double("final_top5"), Finished: f.Bool("finished"),
                EpochsDone: root.TryGetProperty("epochs_done", out _) ? f.Int("epochs_done") : null);
        }
    }

    /// <summary>Typed access to the object's fields with errors that name the file and the field.</summary>
    private readonly struct Fields(string path, JsonElement root)
    {
        private JsonElement Get(string name, string expected)
        {
            if (!root.TryGetProperty(name, out var v)) throw new RunFolderException(path, null, $"missing field \"{name}\" ({expected})");
            return v;
        }

        private RunFolderException Wrong(string name, string expected, JsonElement v) =>
            new(path, null, $"field \"{name}\" should be {expected}, found {v.ValueKind.ToString().ToLowerInvariant()} {v.GetRawText()}");

        public string String(string name)
        {
            var v = Get(name, "a string");
            return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Wrong(name, "a string", v);
        }

        public string? NullableString(string name)
        {
            var v = Get(name, "a string or null");
            return v.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => v.GetString(),
                _ => throw Wrong(name, "a string or null", v),
            };
        }

        public int Int(string name)
        {
            var v = Get(name, "an integer");
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw Wrong(name, "an integer", v);
        }

        public double Double(string name)
        {
            var v = Get(name, "a number");
            return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) ? d : throw Wrong(name, "a finite number", v);
        }

        public bool Bool(string name)
        {
            var v = Get(name, "true or false");
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Wrong(name, "true or false", v),
            };
        }
    }
}
