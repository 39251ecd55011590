/// Normalized KD (Yang et al., ICCV 2023, "From Knowledge Distillation to Self-Knowledge
/// Distillation") with the standardization switch (METHODS.md; official code `yzd-v/cls_KD`,
/// `mmcls/models/dis_losses/nkd.py`, `NKDLoss`, in its fixed form of 2023-10-10: the non-target
/// part drops the target column).
module LogitStd.Core.Losses.Nkd

open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// The two NKD parts: the target term (temperature 1) and the non-target term (γ·T² included).
type Parts = { Target: torch.Tensor; NonTarget: torch.Tensor }

/// The K − 1 non-target columns of each row of x [B, K] (the label's column dropped), in order.
let internal dropTarget (x: torch.Tensor) (target: torch.Tensor) =
    let b, k = x.shape.[0], x.shape.[1]
    let keep = torch.ones_like(x, dtype = torch.ScalarType.Bool).scatter_(1L, target.unsqueeze(1L), torch.zeros(b, 1L, dtype = torch.ScalarType.Bool, device = x.device))
    x.masked_select(keep).reshape(b, k - 1L)

/// The unchecked kernel of `parts`, for callers that validated their inputs once (the objective).
let internal partsUnchecked (prep: Prep) (temperature: float) (gamma: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : Parts =
    use scope = torch.NewDisposeScope()
    let s = apply prep student
    let t = apply prep teacher
    let y = target.unsqueeze(1L)
    // The teacher's probability of the label is a constant weight (the official `.detach()`).
    let ptY = t.softmax(1L).gather(1L, y).detach()
    let logPsY = s.log_softmax(1L).gather(1L, y)
    let targetTerm = -(ptY * logPsY).mean()
    let sN = dropTarget s target / temperature
    let tN = dropTarget t target / temperature
    // Cross-entropy form, as the official code: its value exceeds KL's by the teacher's non-target
    // entropy (a constant), its gradient at the student is KL's.
    let nonTarget = -((tN.softmax(1L) * sN.log_softmax(1L)).sum(1L).mean()) * (gamma * temperature * temperature)
    { Target = targetTerm.MoveToOuterDisposeScope(); NonTarget = nonTarget.MoveToOuterDisposeScope() }

/// NKD's parts: target = −mean_b p_t[b, y_b] · log softmax(s)[b, y_b] at temperature 1 (p_t the
/// teacher's softmax, no gradient through it); non-target = −γ·T²·mean_b Σ_k softmax(t'/T)_k ·
/// log softmax(s'/T)_k over the K − 1 columns left when the label's is dropped from both rows. With
/// ZScore, the Z-score is taken over all K logits first and the target column dropped afterwards
/// (METHODS.md's one LS rule), so the K − 1 remaining are not exactly standardized. At K = 2 the
/// non-target part is 0 (a single column has probability 1).
let parts (prep: Prep) (temperature: float) (gamma: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : Parts =
    Validate.temperature "temperature" temperature
    Validate.weight "gamma" gamma
    Validate.pairWithTargets student teacher target
    partsUnchecked prep temperature gamma student teacher target

/// The unchecked `nkd`, for callers that validated their inputs once (the objective).
let internal nkdUnchecked (prep: Prep) (temperature: float) (gamma: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let p = partsUnchecked prep temperature gamma student teacher target
    (p.Target + p.NonTarget).MoveToOuterDisposeScope()

/// nkd(s, t, y; T, γ) = target + non-target (`parts`), added to the student's CE. Official settings:
/// ImageNet T 1, γ 1.5; CIFAR-100 T 3, γ 3.5.
let nkd (prep: Prep) (temperature: float) (gamma: float) (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let p = parts prep temperature gamma student teacher target
    (p.Target + p.NonTarget).MoveToOuterDisposeScope()
