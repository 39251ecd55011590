/// Curriculum temperature KD (Li et al., AAAI 2023) with the standardization switch: one global
/// learnable temperature parameter reached through a gradient-reversal layer (PAPER.md §3;
/// official code `mdistiller/distillers/CTKD.py`). The official script's `--logit_stand` switch is
/// inverted (a known bug); here `ZScore` means the Z-score is on.
module LogitStd.Core.Losses.Ctkd

open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// Gradient-reversal layer: identity forward, gradient multiplied by λ backward (λ ≤ 0 reverses).
/// Written as x̂ + λ·(x − x̂) with x̂ = x.detach(): the forward value is x̂ exactly (x − x̂ = 0) and
/// d/dx = λ — no custom autograd function needed.
let gradientReversal (lambda: float) (x: torch.Tensor) : torch.Tensor =
    Validate.weight "lambda" lambda
    use scope = torch.NewDisposeScope()
    let d = x.detach()
    (d + (x - d) * lambda).MoveToOuterDisposeScope()

/// The temperature t_start + t_end · sigmoid(GRL(g, λ)) from the learnable scalar g.
let temperature (tStart: float) (tEnd: float) (lambda: float) (param: torch.Tensor) : torch.Tensor =
    Validate.weight "t_start" tStart
    Validate.weight "t_end" tEnd
    use scope = torch.NewDisposeScope()
    ((gradientReversal lambda param).sigmoid() * tEnd + tStart).MoveToOuterDisposeScope()

/// The unchecked kernel of `ctkd`, for callers that validated their inputs once (the objective).
let internal ctkdUnchecked (prep: Prep) (tStart: float) (tEnd: float) (lambda: float) (param: torch.Tensor) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let t = temperature tStart tEnd lambda param
    let loss = Kd.kdAtTensorTemperatureUnchecked prep (t.reshape(1L, 1L).to_type(student.dtype)) student teacher
    loss.reshape([||]).MoveToOuterDisposeScope()

/// ctkd = kd at the learned temperature (with ZScore, the learned temperature plays the role of τ).
/// The gradient reaches `param` through the reversal layer (λ times the plain gradient).
let ctkd (prep: Prep) (tStart: float) (tEnd: float) (lambda: float) (param: torch.Tensor) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    if param.numel() <> 1L then invalidArg "param" (sprintf "the CTKD temperature parameter must be a single value, got shape %s" (Validate.shapeText param))
    // t_start > 0 and t_end >= 0 keep the temperature positive for any parameter value.
    Validate.temperature "t_start" tStart
    if not (tEnd >= 0.0 && System.Double.IsFinite tEnd) then invalidArg "t_end" (sprintf "t_end must be a finite number >= 0, got %g" tEnd)
    Validate.samePair student teacher
    ctkdUnchecked prep tStart tEnd lambda param student teacher
