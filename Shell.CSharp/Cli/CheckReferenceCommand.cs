using LogitStd.Shell.Reference;

namespace LogitStd.Shell.Cli;

/// <summary><c>logitstd check-reference FILE... [--write-actual OUT.json]</c>: exit 0 when every case
/// matches, 1 on any mismatch, 2 on a malformed file.</summary>
public static class CheckReferenceCommand
{
    public static int Run(IReadOnlyList<string> files, string? writeActual, TextWriter stdout, TextWriter stderr)
    {
        var loaded = new List<(string File, string Source, IReadOnlyList<ReferenceCase> Cases)>();
        foreach (var f in files)
        {
            try
            {
                var (source, cases) = ReferenceFile.Load(f);
                loaded.Add((f, source, cases));
            }
            catch (ReferenceFormatException e)
            {
                stderr.WriteLine($"error: malformed reference file: {e.Message}");
                return 2;
            }
        }
        int n = 0, match = 0, relaxed = 0, finiteWhereNot = 0;
        var actuals = new List<(ReferenceCase, Outcome)>();
        foreach (var (file, _, cases) in loaded)
        {
            foreach (var c in cases)
            {
                var r = ReferenceCheck.Check(c);
                n++;
                if (r.Relaxed) relaxed++;
                if (r.FiniteWhereReferenceIsNot) finiteWhereNot++;
                actuals.Add((c, r.Actual));
                if (r.Match) { match++; continue; }
                stdout.WriteLine($"MISMATCH {file}: {c.Name}");
                foreach (var m in r.Mismatches.Take(5)) stdout.WriteLine($"    {m}");
                if (r.Mismatches.Count > 5) stdout.WriteLine($"    ... and {r.Mismatches.Count - 5} more");
            }
        }
        if (writeActual is not null)
        {
            try
            {
                ReferenceFile.WriteWithActual(writeActual, string.Join("; ", loaded.Select(l => l.Source)), actuals);
                stdout.WriteLine($"wrote LogitStd's values for {actuals.Count} cases to {writeActual}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"error: cannot write {writeActual}: {e.Message}");
                return 2;
            }
        }
        if (relaxed > 0)
            stdout.WriteLine($"note: {relaxed} case(s) have zero-spread student rows under the Z-score; their gradients are checked for finiteness only (the reference's std backward at zero spread is undefined or astronomically large)");
        if (finiteWhereNot > 0)
            stdout.WriteLine($"note: {finiteWhereNot} DKD or RLD case(s) where the reference is infinite or NaN (log of an underflowed probability in the official code) and LogitStd is finite by design; every finite entry of them matches");
        stdout.WriteLine($"reference: {n} cases, {match} match, {n - match} mismatch");
        return match == n ? 0 : 1;
    }
}
