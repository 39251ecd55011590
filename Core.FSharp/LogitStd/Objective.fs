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
    /// DIST: β·inter + γ·intra Pearson relations of the probabilities at τ (Losses.Dist).
    | Dist of beta: float * gamma: float * temperature: float * prep: Prep
    /// NKD: the normalized target term + γ·T²·the non-target term (Losses.Nkd).
    | Nkd of temperature: float * gamma: float * prep: Prep
    /// WTTM: the weighted KL to the power-transformed teacher p_t^γ (Losses.Wttm).
    | Wttm of gamma: float * prep: Prep
    /// RLD: α·SCD + β·MCD, scaled by the warm-up factor min(epoch/warmup, 1) (Losses.Rld).
    | Rld of alpha: float * beta: float * temperature: float * alphaTemperature: float * warmup: int * prep: Prep

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

/// The pre-process a term applies to the logits; None for the cross-entropy terms, which always see
/// the raw student logits.
let termPrep (t: Term) : Prep option =
    match t with
    | CrossEntropy | CrossEntropyTwoViews -> None
    | Kd (_, p) | Dkd (_, _, _, _, p) | MlkdInstance (_, p) | MlkdClass (_, p) | MlkdBatch (_, p) | Ctkd (_, _, p)
    | Dist (_, _, _, p) | Nkd (_, _, p) | Wttm (_, p) | Rld (_, _, _, _, _, p) -> Some p

let private warmupText (w: int) (inner: string) = if w > 0 then sprintf "min(epoch/%d, 1)·%s" w inner else inner
let private tempName p = if p = ZScore then "τ" else "T"

let private termText t =
    match t with
    | CrossEntropy -> "CE"
    | CrossEntropyTwoViews -> "(CE(weak) + CE(strong))"
    | Kd (temp, p) -> sprintf "KD(%s=%g, %s)" (if p = ZScore then "τ" else "T") temp (prepText p)
    | Dkd (a, b, temp, w, p) -> warmupText w (sprintf "DKD(α=%g, β=%g, %s=%g, %s)" a b (tempName p) temp (prepText p))
    | MlkdInstance (temp, p) -> sprintf "MLKD-instance(τ=%g, %s)" temp (prepText p)
    | MlkdClass (temp, p) -> sprintf "MLKD-class(τ=%g%s)" temp (if p = ZScore then ", zscore" else "")
    | MlkdBatch (temp, p) -> sprintf "MLKD-batch(τ=%g%s)" temp (if p = ZScore then ", zscore" else "")
    | Ctkd (a, b, p) -> sprintf "KD(T=%g+%g·σ(GRL(g)), %s)" a b (prepText p)
    | Dist (b, g, temp, p) -> sprintf "DIST(β=%g, γ=%g, %s=%g, %s)" b g (tempName p) temp (prepText p)
    | Nkd (temp, g, p) -> sprintf "NKD(%s=%g, γ=%g, %s)" (tempName p) temp g (prepText p)
    | Wttm (g, p) -> sprintf "WTTM(γ=%g, %s)" g (prepText p)
    | Rld (a, b, temp, at, w, p) -> warmupText w (sprintf "RLD(α=%g, β=%g, %s=%g, α_%s=%g, %s)" a b (tempName p) temp (tempName p) at (prepText p))

/// The formula, e.g. `0.1·CE + 9·KD(τ=2, zscore)`.
let describe (o: Objective) : string =
    o.Terms |> List.map (fun w -> sprintf "%g·%s" w.Weight (termText w.Term)) |> String.concat " + "

// The matches over Term below are exhaustive (no `_`): a new term must answer each question.

let private termNeedsTeacher t =
    match t with
    | CrossEntropy | CrossEntropyTwoViews -> false
    | Kd _ | Dkd _ | MlkdInstance _ | MlkdClass _ | MlkdBatch _ | Ctkd _ | Dist _ | Nkd _ | Wttm _ | Rld _ -> true

/// Whether a term reads the strong-view student logits (MLKD's two-view CE and instance level), so
/// that its gradient at the student's logits covers both views.
let usesStrongStudent t =
    match t with
    | CrossEntropyTwoViews | MlkdInstance _ -> true
    | CrossEntropy | Kd _ | Dkd _ | MlkdClass _ | MlkdBatch _ | Ctkd _ | Dist _ | Nkd _ | Wttm _ | Rld _ -> false

/// Whether a term reads the strong-view teacher logits (MLKD's instance level).
let private usesStrongTeacher t =
    match t with
    | MlkdInstance _ -> true
    | CrossEntropy | CrossEntropyTwoViews | Kd _ | Dkd _ | MlkdClass _ | MlkdBatch _ | Ctkd _ | Dist _ | Nkd _ | Wttm _ | Rld _ -> false

/// Whether a term learns CTKD's temperature parameter.
let private usesTemperatureParam t =
    match t with
    | Ctkd _ -> true
    | CrossEntropy | CrossEntropyTwoViews | Kd _ | Dkd _ | MlkdInstance _ | MlkdClass _ | MlkdBatch _ | Dist _ | Nkd _ | Wttm _ | Rld _ -> false

/// The schedule by which a term reads the epoch, if it does: DKD's and RLD's warm-up (when it lasts
/// at least one epoch) and CTKD's λ.
let private epochSchedule t =
    match t with
    | Dkd (_, _, _, warm, _) when warm > 0 -> Some (sprintf "DKD's warm-up min(epoch / %d, 1)" warm)
    | Rld (_, _, _, _, warm, _) when warm > 0 -> Some (sprintf "RLD's warm-up min(epoch / %d, 1)" warm)
    | Ctkd _ -> Some "CTKD's gradient-reversal λ(epoch)"
    | Dkd _ | Rld _ | CrossEntropy | CrossEntropyTwoViews | Kd _ | MlkdInstance _ | MlkdClass _ | MlkdBatch _ | Dist _ | Nkd _ | Wttm _ -> None

/// Whether any term distils from a teacher.
let needsTeacher (o: Objective) = o.Terms |> List.exists (fun w -> termNeedsTeacher w.Term)
/// Whether any term needs MLKD's strong view.
let needsStrongView (o: Objective) = o.Terms |> List.exists (fun w -> usesStrongStudent w.Term)
/// Whether any term needs CTKD's learnable temperature.
let needsTemperatureParam (o: Objective) = o.Terms |> List.exists (fun w -> usesTemperatureParam w.Term)

/// The first term whose value depends on the epoch, with the schedule that reads it: DKD's and RLD's
/// warm-up (when it lasts at least one epoch) and CTKD's λ. None when the epoch does not matter.
let epochReader (o: Objective) : (string * string) option =
    o.Terms |> List.tryPick (fun w -> epochSchedule w.Term |> Option.map (fun s -> w.Name, s))

/// Checks names are unique and non-empty, weights finite, temperatures positive.
let validate (o: Objective) : unit =
    if List.isEmpty o.Terms then invalidArg "objective" "the objective has no terms"
    for w in o.Terms do
        if String.IsNullOrWhiteSpace w.Name then invalidArg "objective" "a term has an empty name"
        Validate.weight (sprintf "weight of term '%s'" w.Name) w.Weight
        let temperature what t = Validate.temperature (sprintf "%s of term '%s'" what w.Name) t
        let finite what v = Validate.weight (sprintf "%s of term '%s'" what w.Name) v
        let warmup warm = if warm < 0 then invalidArg "objective" (sprintf "warmup of term '%s' must be >= 0, got %d" w.Name warm)
        match w.Term with
        | Kd (t, _) | MlkdInstance (t, _) | MlkdClass (t, _) | MlkdBatch (t, _) -> temperature "temperature" t
        | Dkd (a, b, t, warm, _) ->
            temperature "temperature" t
            finite "alpha" a
            finite "beta" b
            warmup warm
        | Dist (b, g, t, _) ->
            temperature "temperature" t
            finite "beta" b
            finite "gamma" g
        | Nkd (t, g, _) ->
            temperature "temperature" t
            finite "gamma" g
        | Wttm (g, _) ->
            if not (g > 0.0 && Double.IsFinite g) then
                invalidArg "objective" (sprintf "gamma (WTTM's power) of term '%s' must be a positive finite number, got %g" w.Name g)
        | Rld (a, b, t, at, warm, _) ->
            temperature "temperature" t
            temperature "alpha_temperature" at
            finite "alpha" a
            finite "beta" b
            warmup warm
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
    let input check what (v: torch.Tensor option) uses =
        match o.Terms |> List.tryFind (fun w -> uses w.Term) with
        | Some w -> [ check, required w.Name what v ]
        | None -> []
    [ "student", inputs.Student ]
    @ input "teacher" "teacher logits" inputs.Teacher termNeedsTeacher
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
        | Dist (b, g, t, p) -> Dist.distUnchecked p b g t inputs.Student (teacherOf w)
        | Nkd (t, g, p) -> Nkd.nkdUnchecked p t g inputs.Student (teacherOf w) inputs.Target
        | Wttm (g, p) -> Wttm.wttmUnchecked p g inputs.Student (teacherOf w)
        | Rld (a, b, t, at, warm, p) -> Rld.rldUnchecked p a b t at inputs.Student (teacherOf w) inputs.Target * Schedules.dkdWarmup warm inputs.Epoch
    o.Terms |> List.map (fun w -> w.Name, value w * w.Weight)

/// The sum of the evaluated terms.
let total (terms: (string * torch.Tensor) list) : torch.Tensor =
    match terms with
    | [] -> invalidArg "terms" "no terms to sum"
    | (_, first) :: rest -> rest |> List.fold (fun acc (_, t) -> acc + t) first

/// The official LS script's two settings (`--logit-stand --base-temp τ --kd-weight w`).
type LsSettings =
    { /// Every temperature of the method becomes τ.
      BaseTemperature: float
      /// KD's weight (KD, MLKD, CTKD) becomes w; every other method's distillation weights are
      /// multiplied by w (DKD α 1 → w, β 8 → 8w; DIST, NKD, WTTM, RLD alike: METHODS.md's one rule).
      KdWeight: float }

/// The paper's settings (PAPER.md §3) and the newer methods' official ones (METHODS.md), each as a
/// `…SettingsFor` of the LS settings (None: the method as published, raw logits), the objective
/// `…With` explicit settings, and the preset itself at the paper's LS settings (τ 2, w 9).
module Presets =
    let private ce w = { Name = "ce"; Weight = w; Term = CrossEntropy }
    let private prepOf ls = if ls then ZScore else Raw

    /// The paper's LS settings: τ 2, w 9.
    let paperLs = { BaseTemperature = 2.0; KdWeight = 9.0 }
    let private lsOf (ls: bool) = if ls then Some paperLs else None

    /// Cross-entropy alone: the "student alone" baseline and teacher training.
    let crossEntropy = { Terms = [ ce 1.0 ] }

    /// KD (temperature, CE weight, KD weight). Vanilla KD (mdistiller): T 4, CE 0.1, KD 0.9; with LS
    /// τ, CE 0.1, w (the paper: τ 2, KD 9).
    let kdSettingsFor (ls: LsSettings option) = match ls with None -> 4.0, 0.1, 0.9 | Some l -> l.BaseTemperature, 0.1, l.KdWeight
    let kdSettings (ls: bool) = kdSettingsFor (lsOf ls)

    /// Hinton KD with explicit settings.
    let kdWith (ls: bool) (temperature: float) (ceWeight: float) (kdWeight: float) =
        { Terms = [ ce ceWeight; { Name = "kd"; Weight = kdWeight; Term = Kd(temperature, prepOf ls) } ] }

    /// KD or KD+LS at the paper's settings (`kdSettings`).
    let kd (ls: bool) = let t, c, k = kdSettings ls in kdWith ls t c k

    /// DKD (α, β, temperature, CE weight, warm-up epochs). DKD (CIFAR-100): α 1, β 8, T 4, CE 1,
    /// warm-up 20. With LS: α and β × w, τ (the paper: α 9, β 72, τ 2).
    let dkdSettingsFor (ls: LsSettings option) =
        match ls with
        | None -> 1.0, 8.0, 4.0, 1.0, 20
        | Some l -> l.KdWeight, 8.0 * l.KdWeight, l.BaseTemperature, 1.0, 20
    let dkdSettings (ls: bool) = dkdSettingsFor (lsOf ls)

    /// DKD with explicit settings.
    let dkdWith (ls: bool) (alpha: float) (beta: float) (temperature: float) (ceWeight: float) (warmup: int) =
        { Terms = [ ce ceWeight; { Name = "dkd"; Weight = 1.0; Term = Dkd(alpha, beta, temperature, warmup, prepOf ls) } ] }

    /// DKD or DKD+LS at the paper's settings (`dkdSettings`).
    let dkd (ls: bool) = let a, b, t, c, w = dkdSettings ls in dkdWith ls a b t c w

    /// MLKD (temperature, CE weight, KD weight): mdistiller's KD defaults (T 4, CE 0.1, KD 0.9), which
    /// the official MLKD reads; with LS τ, CE 0.1, w (the paper: τ 2, KD 9).
    let mlkdSettingsFor (ls: LsSettings option) = kdSettingsFor ls
    let mlkdSettings (ls: bool) = mlkdSettingsFor (lsOf ls)

    /// MLKD with explicit settings.
    let mlkdWith (ls: bool) (temperature: float) (ceWeight: float) (kdWeight: float) =
        { Terms =
            [ { Name = "ce"; Weight = ceWeight; Term = CrossEntropyTwoViews }
              { Name = "kd"; Weight = kdWeight; Term = MlkdInstance(temperature, prepOf ls) }
              { Name = "cc"; Weight = kdWeight; Term = MlkdClass(temperature, Raw) }
              { Name = "bc"; Weight = kdWeight; Term = MlkdBatch(temperature, Raw) } ] }

    /// MLKD or MLKD+LS at the paper's settings (`mlkdSettings`).
    let mlkd (ls: bool) = let t, c, k = mlkdSettings ls in mlkdWith ls t c k

    /// CTKD (t_start, t_end, CE weight, KD weight): t 1 + 20·σ, CE 0.1, KD 0.9; with LS KD w (the
    /// paper: 9). CTKD learns its temperature, so τ does not apply.
    let ctkdSettingsFor (ls: LsSettings option) = 1.0, 20.0, 0.1, (match ls with None -> 0.9 | Some l -> l.KdWeight)
    let ctkdSettings (ls: bool) = ctkdSettingsFor (lsOf ls)

    /// CTKD with explicit settings.
    let ctkdWith (ls: bool) (tStart: float) (tEnd: float) (ceWeight: float) (kdWeight: float) =
        { Terms = [ ce ceWeight; { Name = "kd"; Weight = kdWeight; Term = Ctkd(tStart, tEnd, prepOf ls) } ] }

    /// CTKD or CTKD+LS at the paper's settings (`ctkdSettings`).
    let ctkd (ls: bool) = let a, b, c, k = ctkdSettings ls in ctkdWith ls a b c k

    /// DIST (β, γ, temperature, CE weight, DIST weight): the official CIFAR-100 τ 4, β 1, γ 1, CE 1,
    /// the loss weighted 2. With LS: β and γ × w, τ (no published setting: METHODS.md's rule).
    let distSettingsFor (ls: LsSettings option) =
        match ls with
        | None -> 1.0, 1.0, 4.0, 1.0, 2.0
        | Some l -> l.KdWeight, l.KdWeight, l.BaseTemperature, 1.0, 2.0

    /// DIST with explicit settings.
    let distWith (ls: bool) (beta: float) (gamma: float) (temperature: float) (ceWeight: float) (weight: float) =
        { Terms = [ ce ceWeight; { Name = "dist"; Weight = weight; Term = Dist(beta, gamma, temperature, prepOf ls) } ] }

    /// DIST or DIST+LS at the official settings (`distSettingsFor`, LS at the paper's τ 2, w 9).
    let dist (ls: bool) = let b, g, t, c, w = distSettingsFor (lsOf ls) in distWith ls b g t c w

    /// NKD (temperature, γ, CE weight, NKD weight): the official CIFAR-100 config T 3, γ 3.5, CE 1,
    /// NKD 1. With LS: τ, NKD weight × w (no published setting: METHODS.md's rule).
    let nkdSettingsFor (ls: LsSettings option) =
        match ls with
        | None -> 3.0, 3.5, 1.0, 1.0
        | Some l -> l.BaseTemperature, 3.5, 1.0, l.KdWeight

    /// NKD with explicit settings.
    let nkdWith (ls: bool) (temperature: float) (gamma: float) (ceWeight: float) (weight: float) =
        { Terms = [ ce ceWeight; { Name = "nkd"; Weight = weight; Term = Nkd(temperature, gamma, prepOf ls) } ] }

    /// NKD or NKD+LS at the official settings (`nkdSettingsFor`, LS at the paper's τ 2, w 9).
    let nkd (ls: bool) = let t, g, c, w = nkdSettingsFor (lsOf ls) in nkdWith ls t g c w

    /// WTTM (γ, CE weight, WTTM weight β): the official README's example γ 0.1, CE 1, β 45. With LS:
    /// β × w; WTTM has no temperature, so τ does not apply (no published setting: METHODS.md's rule).
    let wttmSettingsFor (ls: LsSettings option) =
        match ls with
        | None -> 0.1, 1.0, 45.0
        | Some l -> 0.1, 1.0, 45.0 * l.KdWeight

    /// WTTM with explicit settings.
    let wttmWith (ls: bool) (gamma: float) (ceWeight: float) (weight: float) =
        { Terms = [ ce ceWeight; { Name = "wttm"; Weight = weight; Term = Wttm(gamma, prepOf ls) } ] }

    /// WTTM or WTTM+LS at the official settings (`wttmSettingsFor`, LS at the paper's w 9).
    let wttm (ls: bool) = let g, c, w = wttmSettingsFor (lsOf ls) in wttmWith ls g c w

    /// RLD (α, β, temperature, α_T, CE weight, warm-up epochs): the official α 1, β 8, T 4, α_T 4
    /// (`--same-t`), CE 1, warm-up 20. With LS: α and β × w, T and α_T → τ (the official LS setting:
    /// α 9, β 72, τ 2, α_T 2).
    let rldSettingsFor (ls: LsSettings option) =
        match ls with
        | None -> 1.0, 8.0, 4.0, 4.0, 1.0, 20
        | Some l -> l.KdWeight, 8.0 * l.KdWeight, l.BaseTemperature, l.BaseTemperature, 1.0, 20

    /// RLD with explicit settings.
    let rldWith (ls: bool) (alpha: float) (beta: float) (temperature: float) (alphaTemperature: float) (ceWeight: float) (warmup: int) =
        { Terms = [ ce ceWeight; { Name = "rld"; Weight = 1.0; Term = Rld(alpha, beta, temperature, alphaTemperature, warmup, prepOf ls) } ] }

    /// RLD or RLD+LS at the official settings (`rldSettingsFor`).
    let rld (ls: bool) = let a, b, t, at, c, w = rldSettingsFor (lsOf ls) in rldWith ls a b t at c w
