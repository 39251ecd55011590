/// Refined logit distillation (Sun et al., ICCV 2025, "Knowledge Distillation with Refined Logits"),
/// built on the LS code with the switch (METHODS.md; official code `zju-SWJ/RLD`,
/// `mdistiller/distillers/RLD.py::rld_loss`).
module LogitStd.Core.Losses.Rld

open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// The value the official code fills into the masked classes of both logit rows (after /T).
[<Literal>]
let MaskFill = -1e9

/// The two RLD parts, each already multiplied by its temperature² and divided by B (`batchmean`).
type Parts = { Scd: torch.Tensor; Mcd: torch.Tensor }

let private klSum (logInput: torch.Tensor) (target: torch.Tensor) =
    torch.nn.functional.kl_div(logInput, target, reduction = torch.nn.Reduction.Sum, log_target = false)

/// The unchecked kernel of `parts`, for callers that validated their inputs once (the objective).
let internal partsUnchecked (prep: Prep) (temperature: float) (alphaTemperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : Parts =
    use scope = torch.NewDisposeScope()
    let b = float student.shape.[0]
    let s = apply prep student
    let t = apply prep teacher
    let y = target.unsqueeze(1L)
    let oneHot (index: torch.Tensor) = torch.zeros_like(s, dtype = torch.ScalarType.Bool).scatter_(1L, index, torch.ones(s.shape.[0], 1L, dtype = torch.ScalarType.Bool, device = s.device))
    // SCD: the student's binary at the label against the teacher's at its own top class.
    let isY = oneHot y
    let top = t.argmax(1L, true)
    let pt = (t / alphaTemperature).softmax(1L)
    let isTop = oneHot top
    let binaryT = torch.cat([| (pt * isTop).sum(1L, true); pt.masked_fill(isTop, 0.0).sum(1L, true) |], 1L)
    let logPs = (s / alphaTemperature).log_softmax(1L)
    // log of the student's binary as [log p[y], logsumexp_{k≠y} log p]: the official log(p) and log(Σ p)
    // wherever those are finite, and finite where the official one is −∞ (the same departure as DKD's).
    let logBinaryS =
        torch.cat([| logPs.gather(1L, y); logPs.masked_fill(isY, System.Double.NegativeInfinity).logsumexp(1L, true) |], 1L)
    let scd = klSum logBinaryS binaryT * (alphaTemperature * alphaTemperature) / b
    // MCD: every class the teacher ranks at or above the label (the label included) masked out of both.
    let mask = t.ge(t.gather(1L, y))
    let sM = (s / temperature).masked_fill(mask, MaskFill)
    let tM = (t / temperature).masked_fill(mask, MaskFill)
    let mcd = klSum (sM.log_softmax(1L)) (tM.softmax(1L)) * (temperature * temperature) / b
    { Scd = scd.MoveToOuterDisposeScope(); Mcd = mcd.MoveToOuterDisposeScope() }

/// RLD's parts. SCD (sample confidence): with p = softmax(prep(z)/α_T), KL(teacher ‖ student) over
/// the binaries [p_s[y], Σ_{k≠y} p_s] and [p_t[ŷ], Σ_{k≠ŷ} p_t], ŷ = argmax of the teacher (its own
/// top class, not the label; ties to the first index), `batchmean`, × α_T². MCD (masked correlation):
/// every class k with t[k] ≥ t[y] (the label's column included) is set to −1e9 in both prep(z)/T,
/// then KL(softmax(teacher) ‖ softmax(student)) over the rest, `batchmean`, × T². The masks read the
/// prepped logits, which changes nothing: Z is a positive affine map per row.
let parts (prep: Prep) (temperature: float) (alphaTemperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : Parts =
    Validate.temperature "temperature" temperature
    Validate.temperature "alpha_temperature" alphaTemperature
    Validate.pairWithTargets student teacher target
    partsUnchecked prep temperature alphaTemperature student teacher target

/// The unchecked `rld`, for callers that validated their inputs once (the objective).
let internal rldUnchecked (prep: Prep) (alpha: float) (beta: float) (temperature: float) (alphaTemperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let p = partsUnchecked prep temperature alphaTemperature student teacher target
    (p.Scd * alpha + p.Mcd * beta).MoveToOuterDisposeScope()

/// rld(s, t, y; α, β, T, α_T) = α·SCD + β·MCD (no warm-up factor; the objective's term applies
/// min(epoch / warmup, 1)). Official: α 1, β 8, T 4, α_T 4 (`--same-t`); with LS α 9, β 72, τ 2, α_T 2.
let rld (prep: Prep) (alpha: float) (beta: float) (temperature: float) (alphaTemperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : torch.Tensor =
    Validate.weight "alpha" alpha
    Validate.weight "beta" beta
    use scope = torch.NewDisposeScope()
    let p = parts prep temperature alphaTemperature student teacher target
    (p.Scd * alpha + p.Mcd * beta).MoveToOuterDisposeScope()
