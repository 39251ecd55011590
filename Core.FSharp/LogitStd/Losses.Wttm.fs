/// Weighted transformed teacher matching (Zheng & Yang, ICLR 2024, "Knowledge Distillation Based on
/// Transformed Teacher Matching") with the standardization switch (METHODS.md; official code
/// `zkxufo/TTM`, `distiller_zoo/wttm.py`, class `WTTM`).
module LogitStd.Core.Losses.Wttm

open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// The per-sample weight w_b = Σ_k softmax(t)[b,k]^γ, a [B] tensor, computed as
/// exp(logsumexp(γ·log_softmax(t))): equal to the official power-and-sum, without underflow.
let internal weightsOf (gamma: float) (teacherPrepped: torch.Tensor) =
    (teacherPrepped.log_softmax(1L) * gamma).logsumexp(1L).exp()

/// The unchecked `wttm`, for callers that validated their inputs once (the objective).
let internal wttmUnchecked (prep: Prep) (gamma: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let s = apply prep student
    let t = apply prep teacher
    let gammaLogPt = t.log_softmax(1L) * gamma
    // q = p_t^γ / Σ p_t^γ = softmax(γ·log p_t), kept in log space (log_target) so that no entry underflows.
    let logQ = gammaLogPt.log_softmax(1L)
    let w = gammaLogPt.logsumexp(1L).exp()
    let kl = torch.nn.functional.kl_div(s.log_softmax(1L), logQ, reduction = torch.nn.Reduction.None, log_target = true).sum(1L)
    (w * kl).mean().MoveToOuterDisposeScope()

/// wttm(s, t; γ) = mean_b w_b · KL(q_b ‖ softmax(s)_b) with q = p_t^γ / Σ_k p_t^γ (the power
/// transform of the teacher, = softmax(γ·t)), w_b = Σ_k p_t^γ; the student at temperature 1 and **no
/// T² factor**. Official: total CE + β·WTTM, γ (`--ttm_l`) and β per pair (README example γ 0.1,
/// β 45). With ZScore the student's implicit temperature becomes its own std (METHODS.md's rule
/// defines this variant; it has no published setting).
let wttm (prep: Prep) (gamma: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    if not (System.Double.IsFinite gamma) || gamma <= 0.0 then
        invalidArg "gamma" (sprintf "gamma (WTTM's power) must be a positive finite number, got %g" gamma)
    Validate.samePair student teacher
    wttmUnchecked prep gamma student teacher
