/// Input checks shared by every loss. Each raises an ArgumentException whose message names the
/// problem and the shapes or values involved, so a bad batch fails loudly before any arithmetic.
module LogitStd.Core.Validate

open System
open TorchSharp

let internal shapeText (t: torch.Tensor) =
    "[" + String.Join(", ", t.shape) + "]"

/// Non-finite logits: an ArgumentException of its own type, so that a trainer can tell a diverging
/// model (NaN or ∞ in its logits) from a caller's mistake.
type NonFiniteLogitsException(message: string, paramName: string) =
    inherit ArgumentException(message, paramName)

/// The shape and dtype part of the logits check (no host read): 2-D [B, K] floating point, B ≥ 1, K ≥ 2.
let internal logitsShape (what: string) (x: torch.Tensor) =
    if isNull (box x) then invalidArg what (sprintf "%s logits are null" what)
    if x.dim() <> 2L then
        invalidArg what (sprintf "%s logits must be 2-D [batch, classes], got shape %s" what (shapeText x))
    if not (torch.is_floating_point x) then
        invalidArg what (sprintf "%s logits must be floating point, got %O" what x.dtype)
    let b, k = x.shape.[0], x.shape.[1]
    if b < 1L then invalidArg what (sprintf "%s logits have an empty batch (shape %s)" what (shapeText x))
    if k < 2L then
        invalidArg what (sprintf "%s logits have %d class; distillation needs at least 2 (shape %s)" what k (shapeText x))

/// Teacher and student logits must have the same shape (no host read).
let internal pairShape (student: torch.Tensor) (teacher: torch.Tensor) =
    logitsShape "student" student
    logitsShape "teacher" teacher
    if student.shape <> teacher.shape then
        invalidArg "teacher" (sprintf "teacher logits shape %s does not match student logits shape %s" (shapeText teacher) (shapeText student))

/// The shape and dtype part of the labels check (no host read): 1-D int64 of length B.
let internal targetsShape (target: torch.Tensor) (batch: int64) =
    if isNull (box target) then invalidArg "target" "labels are null"
    if target.dim() <> 1L || target.shape.[0] <> batch then
        invalidArg "target" (sprintf "labels must have shape [%d] to match the logits' batch, got %s" batch (shapeText target))
    if target.dtype <> torch.int64 then
        invalidArg "target" (sprintf "labels must be int64, got %O" target.dtype)

/// The value checks of a whole step with one host read: every logits batch in `logits` is finite,
/// and the labels of `target` (with the class count) lie in [0, K). The shapes are checked first.
let internal values (logits: (string * torch.Tensor) list) (target: (torch.Tensor * int64) option) =
    use scope = torch.NewDisposeScope()
    let flags = logits |> List.map (fun (_, x) -> torch.isfinite(x).all().to_type(torch.float64))
    let range =
        match target with
        | Some (t, _) -> [ t.min().to_type(torch.float64); t.max().to_type(torch.float64) ]
        | None -> []
    match flags @ range with
    | [] -> ()
    | checks ->
        let device = match logits, target with | (_, x) :: _, _ -> x.device | [], Some (t, _) -> t.device | [], None -> torch.CPU
        let read = torch.stack(checks |> List.map (fun c -> c.``to``(device)) |> Array.ofList).cpu().data<float>().ToArray()
        logits |> List.iteri (fun i (what, x) ->
            if read.[i] = 0.0 then
                let nan = torch.isnan(x).sum().item<int64>()
                let inf = torch.isinf(x).sum().item<int64>()
                raise (NonFiniteLogitsException(sprintf "%s logits contain %d NaN and %d infinite values (shape %s)" what nan inf (shapeText x), what)))
        match target with
        | Some (_, classes) ->
            let lo, hi = int64 read.[flags.Length], int64 read.[flags.Length + 1]
            if lo < 0L || hi >= classes then
                invalidArg "target" (sprintf "labels must lie in [0, %d) for %d classes; found values from %d to %d" classes classes lo hi)
        | None -> ()

/// Logits must be a 2-D [B, K] floating-point batch with B >= 1, K >= 2 and only finite values.
let internal logits (what: string) (x: torch.Tensor) =
    logitsShape what x
    values [ what, x ] None

/// Teacher and student logits must have the same shape, and be finite (one host read).
let internal samePair (student: torch.Tensor) (teacher: torch.Tensor) =
    pairShape student teacher
    values [ "student", student; "teacher", teacher ] None

/// Labels must be a 1-D int64 vector of length B with values in [0, K).
let internal targets (target: torch.Tensor) (batch: int64) (classes: int64) =
    targetsShape target batch
    values [] (Some (target, classes))

/// A temperature must be a positive finite number.
let internal temperature (name: string) (t: float) =
    if not (Double.IsFinite t) || t <= 0.0 then
        invalidArg name (sprintf "%s must be a positive finite number, got %g" name t)

/// A weight must be a finite number.
let internal weight (name: string) (w: float) =
    if not (Double.IsFinite w) then invalidArg name (sprintf "%s must be finite, got %g" name w)

/// A teacher/student pair with labels: shapes, then finiteness and the labels' range in one host read.
let internal pairWithTargets (student: torch.Tensor) (teacher: torch.Tensor) (target: torch.Tensor) =
    pairShape student teacher
    targetsShape target student.shape.[0]
    values [ "student", student; "teacher", teacher ] (Some (target, student.shape.[1]))
