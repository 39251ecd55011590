/// Hinton's knowledge-distillation loss with the standardization switch (PAPER.md §3;
/// official code `mdistiller/distillers/KD.py::kd_loss`).
module LogitStd.Core.Losses.Kd

open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// KL(p_t ‖ p_s) per sample, summed over classes: a [B] tensor, unscaled by T².
/// `kl_div` is spelled out with PyTorch's conventions: TorchSharp defaults to `log_target = true`
/// and has no `batchmean`, so we pass `log_target: false`, `reduction: None`, then sum over classes.
/// A teacher probability that underflows to 0 contributes 0 (xlogy), as in PyTorch.
let internal perSampleKl (studentPrepped: torch.Tensor) (teacherPrepped: torch.Tensor) (temperature: torch.Tensor) =
    let logPs = (studentPrepped / temperature).log_softmax(1L)
    let pt = (teacherPrepped / temperature).softmax(1L)
    torch.nn.functional.kl_div(logPs, pt, reduction = torch.nn.Reduction.None, log_target = false).sum(1L)

/// The per-sample KD loss T² · Σ_k p_t (log p_t − log p_s), a [B] tensor (MLKD's `reduce=False`).
/// The unchecked kernel, for callers that validated their inputs once (the objective, MLKD).
let internal perSampleUnchecked (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let t = torch.tensor(temperature, dtype = student.dtype, device = student.device)
    let loss = perSampleKl (apply prep student) (apply prep teacher) t * (temperature * temperature)
    loss.MoveToOuterDisposeScope()

let perSample (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    Validate.temperature "temperature" temperature
    Validate.samePair student teacher
    perSampleUnchecked prep temperature student teacher

/// kd(s, t; T) = T² · (1/B) Σ_b Σ_k p_t · (log p_t − log p_s), with p = softmax(prep(·)/T):
/// the sum over classes, then the mean over the batch (PyTorch's `.sum(1).mean()`).
/// With `ZScore`, T plays the role of the base temperature τ.
let internal kdUnchecked (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let loss = (perSampleUnchecked prep temperature student teacher).mean()
    loss.MoveToOuterDisposeScope()

let kd (prep: Prep) (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    Validate.temperature "temperature" temperature
    Validate.samePair student teacher
    kdUnchecked prep temperature student teacher

/// The same KD loss at a temperature given as a (possibly learnable) scalar tensor; T² is then a
/// tensor too, so the gradient reaches the temperature (CTKD).
let internal kdAtTensorTemperatureUnchecked (prep: Prep) (temperature: torch.Tensor) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let loss = (perSampleKl (apply prep student) (apply prep teacher) temperature).mean() * (temperature * temperature)
    loss.MoveToOuterDisposeScope()

let kdAtTensorTemperature (prep: Prep) (temperature: torch.Tensor) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    Validate.samePair student teacher
    kdAtTensorTemperatureUnchecked prep temperature student teacher
