/// Decoupled knowledge distillation (Zhao et al., CVPR 2022) with the standardization switch
/// (PAPER.md §3; official code `mdistiller/distillers/DKD.py::dkd_loss`).
module LogitStd.Core.Losses.Dkd

open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// The masking constant the official code subtracts at the target class before the non-target softmax.
[<Literal>]
let TargetMaskOffset = 1000.0

/// The two DKD parts, each already multiplied by T² and averaged over the batch.
type Parts = { Tckd: torch.Tensor; Nckd: torch.Tensor }

/// The unchecked kernel of `parts`, for callers that validated their inputs once (the objective).
let internal partsUnchecked (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : Parts =
    use scope = torch.NewDisposeScope()
    let b = float student.shape.[0]
    let t2 = temperature * temperature
    let s = apply prep student
    let t = apply prep teacher
    let gt = torch.zeros_like(s).scatter_(1L, target.unsqueeze(1L), torch.ones_like(s))
    let other = 1.0 - gt
    let binary (p: torch.Tensor) = torch.cat([| (p * gt).sum(1L, true); (p * other).sum(1L, true) |], 1L)
    let pt = binary ((t / temperature).softmax(1L))
    let logP = (s / temperature).log_softmax(1L)
    let logPs =
        torch.cat([| logP.gather(1L, target.unsqueeze(1L))
                     logP.masked_fill(gt.to_type(torch.ScalarType.Bool), System.Double.NegativeInfinity).logsumexp(1L, true) |], 1L)
    let kl input target' = torch.nn.functional.kl_div(input, target', reduction = torch.nn.Reduction.Sum, log_target = false)
    let tckd = kl logPs pt * t2 / b
    let masked (x: torch.Tensor) = x / temperature - gt * TargetMaskOffset
    let nckd = kl ((masked s).log_softmax(1L)) ((masked t).softmax(1L)) * t2 / b
    { Tckd = tckd.MoveToOuterDisposeScope(); Nckd = nckd.MoveToOuterDisposeScope() }

/// TCKD and NCKD with the official code's definitions. LS is applied once to the full logit vector,
/// before the target / non-target split. The binary probabilities are b = [p[y], Σ_{k≠y} p[k]] (the
/// non-target mass is a sum, not 1 − p[y]); `kl_div` sums over everything and the result is divided
/// by B.
///
/// One numerical departure, deliberate: the official code takes `log` of the student's binary
/// probabilities, which is −∞ once a confident student's non-target mass underflows to 0 (float32:
/// a logit gap above ~100·T); the loss is then ∞ or, when the teacher's mass underflowed too, finite
/// with a NaN gradient (0·∞) that silently destroys the weights. Here log b_s is computed as
/// [log_softmax[y], logsumexp_{k≠y} log_softmax] — the same value wherever the official one is finite
/// (it agrees with the reference vectors to 1e-12), and finite everywhere else.
let parts (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : Parts =
    Validate.temperature "temperature" temperature
    Validate.pairWithTargets student teacher target
    partsUnchecked prep temperature student teacher target

/// dkd(s, t, y; α, β, T) = α · TCKD + β · NCKD.
let dkd (prep: Prep) (alpha: float) (beta: float) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : torch.Tensor =
    Validate.weight "alpha" alpha
    Validate.weight "beta" beta
    use scope = torch.NewDisposeScope()
    let p = parts prep temperature student teacher target
    let loss = p.Tckd * alpha + p.Nckd * beta
    loss.MoveToOuterDisposeScope()

/// The unchecked `dkd`, for callers that validated their inputs once (the objective).
let internal dkdUnchecked (prep: Prep) (alpha: float) (beta: float) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let p = partsUnchecked prep temperature student teacher target
    (p.Tckd * alpha + p.Nckd * beta).MoveToOuterDisposeScope()
