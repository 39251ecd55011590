/// Input checks shared by every loss. Each raises an ArgumentException whose message names the
/// problem and the shapes or values involved, so a bad batch fails loudly before any arithmetic.
module LogitStd.Core.Validate

open System
open TorchSharp

let internal shapeText (t: torch.Tensor) =
    "[" + String.Join(", ", t.shape) + "]"

/// Logits must be a 2-D [B, K] floating-point batch with B >= 1, K >= 2 and only finite values.
let logits (what: string) (x: torch.Tensor) =
    if isNull (box x) then invalidArg what (sprintf "%s logits are null" what)
    if x.dim() <> 2L then
        invalidArg what (sprintf "%s logits must be 2-D [batch, classes], got shape %s" what (shapeText x))
    if not (torch.is_floating_point x) then
        invalidArg what (sprintf "%s logits must be floating point, got %O" what x.dtype)
    let b, k = x.shape.[0], x.shape.[1]
    if b < 1L then invalidArg what (sprintf "%s logits have an empty batch (shape %s)" what (shapeText x))
    if k < 2L then
        invalidArg what (sprintf "%s logits have %d class; distillation needs at least 2 (shape %s)" what k (shapeText x))
    use finite = torch.isfinite(x).all()
    if not (finite.item<bool>()) then
        use nan = torch.isnan(x).sum()
        use inf = torch.isinf(x).sum()
        invalidArg what (sprintf "%s logits contain %d NaN and %d infinite values (shape %s)" what (nan.item<int64>()) (inf.item<int64>()) (shapeText x))

/// Teacher and student logits must have the same shape.
let samePair (student: torch.Tensor) (teacher: torch.Tensor) =
    logits "student" student
    logits "teacher" teacher
    if student.shape <> teacher.shape then
        invalidArg "teacher" (sprintf "teacher logits shape %s does not match student logits shape %s" (shapeText teacher) (shapeText student))

/// Labels must be a 1-D int64 vector of length B with values in [0, K).
let targets (target: torch.Tensor) (batch: int64) (classes: int64) =
    if isNull (box target) then invalidArg "target" "labels are null"
    if target.dim() <> 1L || target.shape.[0] <> batch then
        invalidArg "target" (sprintf "labels must have shape [%d] to match the logits' batch, got %s" batch (shapeText target))
    if target.dtype <> torch.int64 then
        invalidArg "target" (sprintf "labels must be int64, got %O" target.dtype)
    use lo = target.min()
    use hi = target.max()
    let lo, hi = lo.item<int64>(), hi.item<int64>()
    if lo < 0L || hi >= classes then
        invalidArg "target" (sprintf "labels must lie in [0, %d) for %d classes; found values from %d to %d" classes classes lo hi)

/// A temperature must be a positive finite number.
let temperature (name: string) (t: float) =
    if not (Double.IsFinite t) || t <= 0.0 then
        invalidArg name (sprintf "%s must be a positive finite number, got %g" name t)

/// A weight must be a finite number.
let weight (name: string) (w: float) =
    if not (Double.IsFinite w) then invalidArg name (sprintf "%s must be finite, got %g" name w)
