/// The training objective as data: a list of named, weighted terms (torchdistill's criterion,
/// mdistiller's loss dictionary). Evaluating it returns every named, already-weighted term so a
/// trainer can log each one; `describe` prints its formula, e.g. `0.1·CE + 9·KD(τ=2, zscore)`.
module LogitStd.Core.Objective

open System
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Losses

/// One loss kind with its own hyper-parameters (the weight lives in `WeightedTerm`).
type Term =
    /// Cross-entropy of the raw student logits (main view).
    | CrossEntropy
    /// CE(s_w, y) + CE(s_s, y): MLKD's cross-entropy over both views.
    | CrossEntropyTwoViews
    /// Hinton KD at temperature T (τ with ZScore).
    | Kd of temperature: float * prep: Prep
    /// α·TCKD + β·NCKD, scaled by the warm-up factor min(epoch/warmup, 1).
    | Dkd of alpha: float * beta: float * temperature: float * warmup: int * prep: Prep
    /// MLKD instance level (the only level with LS).
    | MlkdInstance of temperature: float * prep: Prep
    /// MLKD class level: raw logits in the official objective; Z-scored only in the ablation arms.
    | MlkdClass of temperature: float * prep: Prep
    /// MLKD batch level: raw logits in the official objective; Z-scored only in the ablation arms.
    | MlkdBatch of temperature: float * prep: Prep
    /// KD at CTKD's learned global temperature t_start + t_end·sigmoid(GRL(g, λ(epoch))).
    | Ctkd of tStart: float * tEnd: float * prep: Prep

/// A named term with its weight.
type WeightedTerm = { Name: string; Weight: float; Term: Term }

/// The whole objective: the sum of its weighted terms.
type Objective = { Terms: WeightedTerm list }

/// What one training step provides to the objective. Options are None where not needed.
type Inputs =
    { Student: torch.Tensor
      Teacher: torch.Tensor option
      Target: torch.Tensor
      StudentStrong: torch.Tensor option
      TeacherStrong: torch.Tensor option
      /// Current epoch, counted from 1 (DKD warm-up, CTKD λ).
      Epoch: int
      /// CTKD's learnable temperature parameter g (a one-element tensor requiring grad).
      TemperatureParam: torch.Tensor option }

let private prepText p = match p with Raw -> "raw" | ZScore -> "zscore"

let private termText t =
    match t with
    | CrossEntropy -> "CE"
    | CrossEntropyTwoViews -> "(CE(weak) + CE(strong))"
    | Kd (temp, p) -> sprintf "KD(%s=%g, %s)" (if p = ZScore then "τ" else "T") temp (prepText p)
    | Dkd (a, b, temp, w, p) ->
        let inner = sprintf "DKD(α=%g, β=%g, %s=%g, %s)" a b (if p = ZScore then "τ" else "T") temp (prepText p)
        if w > 0 then sprintf "min(epoch/%d, 1)·%s" w inner else inner
    | MlkdInstance (temp, p) -> sprintf "MLKD-instance(τ=%g, %s)" temp (prepText p)
    | MlkdClass (temp, p) -> sprintf "MLKD-class(τ=%g%s)" temp (if p = ZScore then ", zscore" else "")
    | MlkdBatch (temp, p) -> sprintf "MLKD-batch(τ=%g%s)" temp (if p = ZScore then ", zscore" else "")
    | Ctkd (a, b, p) -> sprintf "KD(T=%g+%g·σ(GRL(g)), %s)" a b (prepText p)

/// The formula, e.g. `0.1·CE + 9·KD(τ=2, zscore)`.
let describe (o: Objective) : string =
    o.Terms |> List.map (fun w -> sprintf "%g·%s" w.Weight (termText w.Term)) |> String.concat " + "

let private termNeedsTeacher t =
    match t with
    | CrossEntropy | CrossEntropyTwoViews -> false
    | _ -> true

/// Whether a term reads the strong-view student logits (MLKD's two-view CE and instance level), so
/// that its gradient at the student's logits covers both views.
let usesStrongStudent t =
    match t with
    | CrossEntropyTwoViews | MlkdInstance _ -> true
    | _ -> false

/// Whether any term distils from a teacher.
let needsTeacher (o: Objective) = o.Terms |> List.exists (fun w -> termNeedsTeacher w.Term)
/// Whether any term needs MLKD's strong view.
let needsStrongView (o: Objective) = o.Terms |> List.exists (fun w -> usesStrongStudent w.Term)
/// Whether any term needs CTKD's learnable temperature.
let needsTemperatureParam (o: Objective) = o.Terms |> List.exists (fun w -> match w.Term with Ctkd _ -> true | _ -> false)

/// The first term whose value depends on the epoch, with the schedule that reads it: DKD's warm-up
/// (when it lasts at least one epoch) and CTKD's λ. None when the epoch does not matter.
let epochReader (o: Objective) : (string * string) option =
    o.Terms
    |> List.tryPick (fun w ->
        match w.Term with
        | Dkd (_, _, _, warm, _) when warm > 0 -> Some (w.Name, sprintf "DKD's warm-up min(epoch / %d, 1)" warm)
        | Ctkd _ -> Some (w.Name, "CTKD's gradient-reversal λ(epoch)")
        | _ -> None)

/// Checks names are unique and non-empty, weights finite, temperatures positive.
let validate (o: Objective) : unit =
    if List.isEmpty o.Terms then invalidArg "objective" "the objective has no terms"
    for w in o.Terms do
        if String.IsNullOrWhiteSpace w.Name then invalidArg "objective" "a term has an empty name"
        Validate.weight (sprintf "weight of term '%s'" w.Name) w.Weight
        match w.Term with
        | Kd (t, _) | MlkdInstance (t, _) | MlkdClass (t, _) | MlkdBatch (t, _) -> Validate.temperature (sprintf "temperature of term '%s'" w.Name) t
        | Dkd (a, b, t, warm, _) ->
            Validate.temperature (sprintf "temperature of term '%s'" w.Name) t
            Validate.weight "alpha" a
            Validate.weight "beta" b
            if warm < 0 then invalidArg "objective" (sprintf "warmup of term '%s' must be >= 0, got %d" w.Name warm)
        | Ctkd (a, b, _) ->
            if not (a > 0.0 && Double.IsFinite a && b >= 0.0 && Double.IsFinite b) then
                invalidArg "objective" (sprintf "CTKD term '%s' needs t_start > 0 and t_end >= 0, got %g and %g" w.Name a b)
        | CrossEntropy | CrossEntropyTwoViews -> ()
    let dup = o.Terms |> List.countBy (fun w -> w.Name) |> List.tryFind (fun (_, n) -> n > 1)
    match dup with
    | Some (n, _) -> invalidArg "objective" (sprintf "term name '%s' is used twice" n)
    | None -> ()

let private required (name: string) (what: string) (v: torch.Tensor option) =
    match v with
    | Some t -> t
    | None -> invalidArg "inputs" (sprintf "term '%s' needs %s, which this step did not provide" name what)

/// The logit batches the terms of `o` read, each with the name its checks report; a batch a term
/// needs but the step did not provide is an error naming the term.
let private inputsUsed (o: Objective) (inputs: Inputs) : (string * torch.Tensor) list =
    let usesTeacher = function CrossEntropy | CrossEntropyTwoViews -> false | _ -> true
    let usesStrongTeacher = function MlkdInstance _ -> true | _ -> false
    let input check what (v: torch.Tensor option) uses =
        match o.Terms |> List.tryFind (fun w -> uses w.Term) with
        | Some w -> [ check, required w.Name what v ]
        | None -> []
    [ "student", inputs.Student ]
    @ input "teacher" "teacher logits" inputs.Teacher usesTeacher
    @ input "strong-view student" "the strong-view student logits" inputs.StudentStrong usesStrongStudent
    @ input "strong-view teacher" "the strong-view teacher logits" inputs.TeacherStrong usesStrongTeacher

/// Evaluates every term and returns (name, weighted value) in order. Tensors are fresh; the caller
/// owns them (a dispose scope per training step releases them).
///
/// The inputs are validated here, once, for all terms: every shape (no host read), then every logit
/// batch's finiteness and the labels' range in a single host read; the loss kernels below do not
/// check again. Non-finite logits raise `Validate.NonFiniteLogitsException`.
let evaluate (o: Objective) (inputs: Inputs) : (string * torch.Tensor) list =
    let used = inputsUsed o inputs
    for name, x in used do
        if name = "student" then Validate.logitsShape name x else Validate.pairShape inputs.Student x
    Validate.targetsShape inputs.Target inputs.Student.shape.[0]
    Validate.values used (Some (inputs.Target, inputs.Student.shape.[1]))
    let masks =
        lazy (
            let tw = required "mlkd" "teacher logits" inputs.Teacher
            Mlkd.masks tw)
    let views name =
        { Mlkd.Views.StudentWeak = inputs.Student
          Mlkd.Views.StudentStrong = required name "the strong-view student logits" inputs.StudentStrong
          Mlkd.Views.TeacherWeak = required name "teacher logits" inputs.Teacher
          Mlkd.Views.TeacherStrong = required name "the strong-view teacher logits" inputs.TeacherStrong }
    let ce (x: torch.Tensor) = torch.nn.functional.cross_entropy(x, inputs.Target)
    let teacherOf (w: WeightedTerm) = required w.Name "teacher logits" inputs.Teacher
    let value (w: WeightedTerm) : torch.Tensor =
        match w.Term with
        | CrossEntropy -> ce inputs.Student
        | CrossEntropyTwoViews -> ce inputs.Student + ce (required w.Name "the strong-view student logits" inputs.StudentStrong)
        | Kd (t, p) -> Kd.kdUnchecked p t inputs.Student (teacherOf w)
        | Dkd (a, b, t, warm, p) -> Dkd.dkdUnchecked p a b t inputs.Student (teacherOf w) inputs.Target * Schedules.dkdWarmup warm inputs.Epoch
        | MlkdInstance (t, p) ->
            let v = views w.Name
            Mlkd.validateViewShapes v
            Mlkd.instanceLevel p t v (fst masks.Value)
        | MlkdClass (t, p) -> Mlkd.classLevelWith p t inputs.Student (teacherOf w) (snd masks.Value)
        | MlkdBatch (t, p) -> Mlkd.batchLevelWith p t inputs.Student (teacherOf w) (fst masks.Value)
        | Ctkd (a, b, p) ->
            let g = required w.Name "the CTKD temperature parameter" inputs.TemperatureParam
            if g.numel() <> 1L then invalidArg "inputs" (sprintf "the CTKD temperature parameter must be a single value, got shape %s" (Validate.shapeText g))
            Ctkd.ctkdUnchecked p a b (Schedules.ctkdLambda inputs.Epoch) g inputs.Student (teacherOf w)
    o.Terms |> List.map (fun w -> w.Name, value w * w.Weight)

/// The sum of the evaluated terms.
let total (terms: (string * torch.Tensor) list) : torch.Tensor =
    match terms with
    | [] -> invalidArg "terms" "no terms to sum"
    | (_, first) :: rest -> rest |> List.fold (fun acc (_, t) -> acc + t) first

/// The paper's settings (PAPER.md §3).
module Presets =
    let private ce w = { Name = "ce"; Weight = w; Term = CrossEntropy }
    let private prepOf ls = if ls then ZScore else Raw

    /// Cross-entropy alone: the "student alone" baseline and teacher training.
    let crossEntropy = { Terms = [ ce 1.0 ] }

    /// The paper's KD settings (temperature, CE weight, KD weight). Vanilla KD (mdistiller): T 4,
    /// CE 0.1, KD 0.9. KD+LS (paper): τ 2, CE 0.1, KD 9.
    let kdSettings (ls: bool) = if ls then 2.0, 0.1, 9.0 else 4.0, 0.1, 0.9

    /// Hinton KD with explicit settings.
    let kdWith (ls: bool) (temperature: float) (ceWeight: float) (kdWeight: float) =
        { Terms = [ ce ceWeight; { Name = "kd"; Weight = kdWeight; Term = Kd(temperature, prepOf ls) } ] }

    /// KD or KD+LS at the paper's settings (`kdSettings`).
    let kd (ls: bool) = let t, c, k = kdSettings ls in kdWith ls t c k

    /// The paper's DKD settings (α, β, temperature, CE weight, warm-up epochs). DKD (CIFAR-100): α 1,
    /// β 8, T 4, CE 1, warm-up 20. DKD+LS: α and β × 9, τ 2.
    let dkdSettings (ls: bool) = if ls then 9.0, 72.0, 2.0, 1.0, 20 else 1.0, 8.0, 4.0, 1.0, 20

    /// DKD with explicit settings.
    let dkdWith (ls: bool) (alpha: float) (beta: float) (temperature: float) (ceWeight: float) (warmup: int) =
        { Terms = [ ce ceWeight; { Name = "dkd"; Weight = 1.0; Term = Dkd(alpha, beta, temperature, warmup, prepOf ls) } ] }

    /// DKD or DKD+LS at the paper's settings (`dkdSettings`).
    let dkd (ls: bool) = let a, b, t, c, w = dkdSettings ls in dkdWith ls a b t c w

    /// The paper's MLKD settings (temperature, CE weight, KD weight): mdistiller's KD defaults (T 4,
    /// CE 0.1, KD 0.9), which the official MLKD reads; MLKD+LS (paper): τ 2, CE 0.1, KD 9.
    let mlkdSettings (ls: bool) = kdSettings ls

    /// MLKD with explicit settings.
    let mlkdWith (ls: bool) (temperature: float) (ceWeight: float) (kdWeight: float) =
        { Terms =
            [ { Name = "ce"; Weight = ceWeight; Term = CrossEntropyTwoViews }
              { Name = "kd"; Weight = kdWeight; Term = MlkdInstance(temperature, prepOf ls) }
              { Name = "cc"; Weight = kdWeight; Term = MlkdClass(temperature, Raw) }
              { Name = "bc"; Weight = kdWeight; Term = MlkdBatch(temperature, Raw) } ] }

    /// MLKD or MLKD+LS at the paper's settings (`mlkdSettings`).
    let mlkd (ls: bool) = let t, c, k = mlkdSettings ls in mlkdWith ls t c k

    /// The paper's CTKD settings (t_start, t_end, CE weight, KD weight): t 1 + 20·σ, CE 0.1, KD 0.9;
    /// CTKD+LS: KD 9.
    let ctkdSettings (ls: bool) = 1.0, 20.0, 0.1, (if ls then 9.0 else 0.9)

    /// CTKD with explicit settings.
    let ctkdWith (ls: bool) (tStart: float) (tEnd: float) (ceWeight: float) (kdWeight: float) =
        { Terms = [ ce ceWeight; { Name = "kd"; Weight = kdWeight; Term = Ctkd(tStart, tEnd, prepOf ls) } ] }

    /// CTKD or CTKD+LS at the paper's settings (`ctkdSettings`).
    let ctkd (ls: bool) = let a, b, c, k = ctkdSettings ls in ctkdWith ls a b c k
