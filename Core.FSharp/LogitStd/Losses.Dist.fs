/// DIST (Huang et al., NeurIPS 2022, "Knowledge Distillation from A Stronger Teacher") with the
/// standardization switch (METHODS.md; official code `hunto/image_classification_sota`,
/// `lib/models/losses/dist_kd.py`, class `DIST`).
module LogitStd.Core.Losses.Dist

open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// Added to the product of the two norms (not to each norm, not inside a square root), as the
/// official `cosine_similarity`: a row with no spread then correlates 0 instead of NaN.
[<Literal>]
let PearsonEpsilon = 1e-8

/// The two DIST relations, each 1 − mean Pearson and already multiplied by τ².
type Parts = { Inter: torch.Tensor; Intra: torch.Tensor }

/// Row-wise Pearson correlation of a and b [N, M]: the cosine of the row-centred vectors,
/// (a·b) / (‖a‖‖b‖ + 1e-8). `norm` is torch's 2-norm, whose gradient at a zero vector is 0.
let private pearson (a: torch.Tensor) (b: torch.Tensor) =
    let ac = a - a.mean([| 1L |], true)
    let bc = b - b.mean([| 1L |], true)
    (ac * bc).sum(1L) / (ac.norm(1, keepdim = false, p = 2.0f) * bc.norm(1, keepdim = false, p = 2.0f) + PearsonEpsilon)

/// 1 − mean_rows pearson(a, b).
let private relation (a: torch.Tensor) (b: torch.Tensor) = 1.0 - (pearson a b).mean()

/// The unchecked kernel of `parts`, for callers that validated their inputs once (the objective).
let internal partsUnchecked (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : Parts =
    use scope = torch.NewDisposeScope()
    let t2 = temperature * temperature
    let ps = (apply prep student / temperature).softmax(1L)
    let pt = (apply prep teacher / temperature).softmax(1L)
    let inter = relation ps pt * t2
    let intra = relation (ps.t()) (pt.t()) * t2
    { Inter = inter.MoveToOuterDisposeScope(); Intra = intra.MoveToOuterDisposeScope() }

/// DIST's two relations on probabilities p = softmax(prep(z)/τ) (Pearson on probabilities, not
/// logits): inter = τ²·(1 − mean_b pearson(p_s[b,:], p_t[b,:])), the per-sample match of the class
/// ranking; intra = the same on the transposes (per class, across the batch, mean over classes).
/// Intra couples the samples of a batch: a sample's loss depends on the others, so DIST's value is
/// not a mean of per-sample losses, and at B = 1 every column is constant and intra is τ²·1.
let parts (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : Parts =
    Validate.temperature "temperature" temperature
    Validate.samePair student teacher
    partsUnchecked prep temperature student teacher

/// The unchecked `dist`, for callers that validated their inputs once (the objective).
let internal distUnchecked (prep: Prep) (beta: float) (gamma: float) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let p = partsUnchecked prep temperature student teacher
    (p.Inter * beta + p.Intra * gamma).MoveToOuterDisposeScope()

/// dist(s, t; β, γ, τ) = β·inter + γ·intra (τ² included in each; official CIFAR-100: τ 4, β 1, γ 1,
/// the whole loss weighted 2 beside CE 1).
let dist (prep: Prep) (beta: float) (gamma: float) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    Validate.weight "beta" beta
    Validate.weight "gamma" gamma
    Validate.temperature "temperature" temperature
    Validate.samePair student teacher
    distUnchecked prep beta gamma temperature student teacher
