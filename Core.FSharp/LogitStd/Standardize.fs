/// The logit standardization pre-process (Sun et al., CVPR 2024, §3; official code `normalize`).
module LogitStd.Core.Standardize

open TorchSharp

/// Added to the standard deviation (not to the variance, not inside the square root), exactly as the
/// official implementation: a constant row then standardizes to all zeros instead of NaN.
[<Literal>]
let Epsilon = 1e-7

/// Whether a loss sees raw logits or their Z-score.
type Prep =
    /// Use the logits as they are (the classic shared-temperature distillation).
    | Raw
    /// Standardize each row first: Z(x) = (x − mean) / (1e-7 + std_unbiased).
    | ZScore

/// The unbiased row std with a gradient that stays finite on a constant row. torch's `std` backward
/// divides by the std, so a row with zero spread yields 0/0 = NaN gradients. Here the variance is
/// clamped at the dtype's smallest normal number before the square root: the value is unchanged
/// wherever it matters (1e-7 + √tiny = 1e-7 in both float32 and float64) and the gradient of a
/// constant row is finite.
let private rowStd (centered: torch.Tensor) : torch.Tensor =
    let k = centered.shape.[centered.shape.Length - 1]
    let tiny = torch.finfo(centered.dtype).tiny
    // x * x, not square(): TorchSharp's square() passes a temporary Scalar to pow that the GC may free
    // mid-call ("Unknown scalar type", seen once under memory pressure; dotnet/TorchSharp#1434).
    let var = (centered * centered).sum([| -1L |], true) / float (k - 1L)
    var.clamp_min(tiny).sqrt()

/// Z(x) without validation, inside the caller's dispose scope.
let private standardizeRows (x: torch.Tensor) : torch.Tensor =
    let centered = x - x.mean([| -1L |], true)
    centered / (rowStd centered + Epsilon)

/// Z(x) = (x − mean_K(x)) / (1e-7 + std_K(x)) per row of a [B, K] batch.
/// The std is the *unbiased* one (divides by K − 1), as torch's default in the official code
/// and the Figure 2 numbers; the paper's Algorithm 1 writes 1/K. Gradients flow through mean and std.
/// Returns a fresh tensor; the input is neither modified nor disposed.
let zscore (x: torch.Tensor) : torch.Tensor =
    Validate.logits "input" x
    use scope = torch.NewDisposeScope()
    (standardizeRows x).MoveToOuterDisposeScope()

/// The pre-process `prep(x)`: Z(x) for ZScore, x itself for Raw (no copy: callers must not dispose
/// the result of `apply Raw x` separately from x). Internal to the losses, which validate first.
let internal apply (p: Prep) (x: torch.Tensor) : torch.Tensor =
    match p with
    | Raw -> x
    | ZScore -> standardizeRows x

/// The largest absolute value a standardized entry can take for K classes, (K − 1)/√K
/// (tight for the unbiased std, reached by a one-hot row); divide by τ after the temperature.
let bound (classes: int) : float =
    if classes < 2 then invalidArg "classes" (sprintf "need at least 2 classes, got %d" classes)
    float (classes - 1) / sqrt (float classes)
