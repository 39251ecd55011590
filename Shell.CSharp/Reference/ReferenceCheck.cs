using LogitStd.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace LogitStd.Shell.Reference;

/// <summary>The verdict on one case.</summary>
public sealed record CaseResult(ReferenceCase Case, Outcome Actual, IReadOnlyList<string> Mismatches, bool Relaxed, bool FiniteWhereReferenceIsNot = false)
{
    public bool Match => Mismatches.Count == 0;
}

/// <summary>Recomputes reference cases with LogitStd's core in float64 and compares them.</summary>
public static class ReferenceCheck
{
    /// <summary>Relative tolerance of a match (shared/reference-vectors.md).</summary>
    public const double RelTol = 1e-6;
    /// <summary>Absolute tolerance of a match.</summary>
    public const double AbsTol = 1e-9;

    static Tensor Float64(double[][] m) =>
        torch.tensor(m.SelectMany(r => r).ToArray(), [m.Length, m[0].Length], dtype: float64);

    static double[][] ToArray(Tensor t)
    {
        var flat = t.detach().to_type(float64).contiguous().data<double>().ToArray();
        int b = (int)t.shape[0], k = (int)t.shape[1];
        return Enumerable.Range(0, b).Select(i => flat.AsSpan(i * k, k).ToArray()).ToArray();
    }

    static double P(ReferenceCase c, string key) => c.Params[key];

    /// <summary>Computes the case's value and gradients with LogitStd.</summary>
    public static Outcome Evaluate(ReferenceCase c)
    {
        using var scope = torch.NewDisposeScope();
        var s = Float64(c.Student.Weak).requires_grad_();
        var t = c.Teacher is null ? null : Float64(c.Teacher.Weak);
        var y = c.Target is null ? null : torch.tensor(c.Target, dtype: int64);
        Tensor? ss = null, g = null;
        Tensor value;
        switch (c.Loss)
        {
            case "zscore":
                var z = Distillation.ZScore(s);
                return new Outcome(null, ToArray(z), null, null);
            case "kd":
                value = Distillation.Kd(s, t!, P(c, "temperature"), c.Standardize);
                break;
            case "dkd":
                value = Distillation.Dkd(s, t!, y!, P(c, "alpha"), P(c, "beta"), P(c, "temperature"), c.Standardize);
                break;
            case "kd-objective":
                value = Distillation.KdObjective(s, t!, y!, P(c, "temperature"), P(c, "ce_weight"), P(c, "kd_weight"), c.Standardize);
                break;
            case "dkd-objective":
                value = Distillation.DkdObjective(s, t!, y!, P(c, "alpha"), P(c, "beta"), P(c, "temperature"), P(c, "ce_weight"),
                    (int)P(c, "epoch"), (int)P(c, "warmup"), c.Standardize);
                break;
            case "mlkd-objective":
                ss = Float64(c.Student.Strong!).requires_grad_();
                value = Distillation.MlkdObjective(s, ss, t!, Float64(c.Teacher!.Strong!), y!, P(c, "temperature"),
                    P(c, "ce_weight"), P(c, "kd_weight"), c.Standardize);
                break;
            case "ctkd":
                g = torch.tensor(P(c, "temperature_param"), dtype: float64).requires_grad_();
                value = Distillation.Ctkd(s, t!, g, P(c, "t_start"), P(c, "t_end"), P(c, "grl_lambda"), c.Standardize);
                break;
            case "dist":
                value = Distillation.Dist(s, t!, P(c, "beta"), P(c, "gamma"), P(c, "temperature"), c.Standardize);
                break;
            case "nkd":
                value = Distillation.Nkd(s, t!, y!, P(c, "temperature"), P(c, "gamma"), c.Standardize);
                break;
            case "wttm":
                value = Distillation.Wttm(s, t!, P(c, "gamma"), c.Standardize);
                break;
            case "rld":
                value = Distillation.Rld(s, t!, y!, P(c, "alpha"), P(c, "beta"), P(c, "temperature"), P(c, "alpha_temperature"), c.Standardize);
                break;
            default:
                throw new ArgumentException($"unknown loss {c.Loss}");
        }
        value.backward();
        var grad = new Views(ToArray(s.grad!), ss is null ? null : ToArray(ss.grad!));
        return new Outcome(value.item<double>(), null, grad, g?.grad?.item<double>());
    }

    /// <summary>Whether two numbers match within the tolerance (NaN matches NaN, equal infinities match).</summary>
    public static bool Close(double expected, double actual)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual)) return double.IsNaN(expected) && double.IsNaN(actual);
        if (double.IsInfinity(expected) || double.IsInfinity(actual)) return expected == actual;
        double diff = Math.Abs(expected - actual);
        return diff <= AbsTol || diff <= RelTol * Math.Abs(expected);
    }

    static bool ZeroSpread(double[] row) => row.Max() == row.Min();

    /// <summary>Recomputes and compares one case. Under standardization, the gradient of a student row with
    /// zero spread is astronomically large or undefined in the reference (torch's std backward at 0); there
    /// only a finite gradient is required ("relaxed").</summary>
    public static CaseResult Check(ReferenceCase c)
    {
        Outcome actual;
        try { actual = Evaluate(c); }
        catch (Exception e) when (e is ArgumentException or System.Runtime.InteropServices.ExternalException)
        {
            return new CaseResult(c, new Outcome(null, null, null, null), [$"LogitStd raised: {e.Message}"], false);
        }
        var bad = new List<string>();
        bool relaxed = false, finiteWhereNot = false;
        // DKD and RLD's SCD: the official code's log of an underflowed binary probability gives ∞/NaN where
        // LogitStd's log-sum-exp form stays finite (Losses.Dkd.fs, Losses.Rld.fs); there the reference
        // cannot be matched, only beaten.
        bool dkd = c.Loss is "dkd" or "dkd-objective" or "rld";
        bool Same(double e, double a)
        {
            if (dkd && !double.IsFinite(e) && double.IsFinite(a)) { finiteWhereNot = true; return true; }
            return Close(e, a);
        }
        var exp = c.Expected;
        if (exp.Matrix is not null) CompareMatrix("value", exp.Matrix, actual.Matrix!, null);
        else if (!Same(exp.Scalar!.Value, actual.Scalar ?? double.NaN)) bad.Add($"value: expected {exp.Scalar:R}, got {actual.Scalar:R}");
        if (exp.GradStudent is not null && actual.GradStudent is not null)
        {
            CompareMatrix("grad_student" + (c.Loss == "mlkd-objective" ? ".weak" : ""), exp.GradStudent.Weak, actual.GradStudent.Weak, c.Student.Weak);
            if (exp.GradStudent.Strong is not null)
                CompareMatrix("grad_student.strong", exp.GradStudent.Strong, actual.GradStudent.Strong!, c.Student.Strong);
        }
        if (exp.GradTemperatureParam is double gt && !Close(gt, actual.GradTemperatureParam ?? double.NaN))
            bad.Add($"grad_temperature_param: expected {gt:R}, got {actual.GradTemperatureParam:R}");
        return new CaseResult(c, actual, bad, relaxed, finiteWhereNot);

        void CompareMatrix(string what, double[][] e, double[][] a, double[][]? inputs)
        {
            for (int i = 0; i < e.Length; i++)
            {
                bool zeroSpread = c.Standardize && inputs is not null && ZeroSpread(inputs[i]);
                for (int j = 0; j < e[i].Length; j++)
                {
                    if (zeroSpread)
                    {
                        relaxed = true;
                        if (!double.IsFinite(a[i][j])) bad.Add($"{what}[{i}][{j}]: zero-spread row needs a finite gradient, got {a[i][j]:R}");
                    }
                    else if (!Same(e[i][j], a[i][j]))
                        bad.Add($"{what}[{i}][{j}]: expected {e[i][j]:R}, got {a[i][j]:R}");
                }
            }
        }
    }
}
