namespace LogitStd.Core

open System
open System.Runtime.InteropServices

/// Objectives for C# callers, each validated once here, when it is built (an ArgumentException
/// names the setting): the paper's presets, any setting overridden by name —
/// `Objectives.Kd(temperature: 2, ceWeight: 0.1, kdWeight: 9, standardize: true)` —, or a custom
/// sum of `Terms`. Evaluate one with `Distillation.Evaluate`.
[<AbstractClass; Sealed>]
type Objectives =
    static member private Checked(o: Objective.Objective) =
        Objective.validate o
        o
    static member private Or(value: Nullable<float>, preset: float) = if value.HasValue then value.Value else preset
    static member private Ls(standardize: bool) = if standardize then Some Objective.Presets.paperLs else None
    /// KD and MLKD: (temperature, CE weight, KD weight), each the given value or the preset's.
    static member private TemperatureCeKd((t, c, k): float * float * float, build: float -> float -> float -> Objective.Objective,
                                          temperature: Nullable<float>, ceWeight: Nullable<float>, kdWeight: Nullable<float>) =
        build (Objectives.Or(temperature, t)) (Objectives.Or(ceWeight, c)) (Objectives.Or(kdWeight, k)) |> Objectives.Checked

    /// Cross-entropy only (teachers, the student-alone baseline).
    static member CrossEntropy = Objective.Presets.crossEntropy
    /// ceWeight · CE + kdWeight · KD. Unset values take the paper's: vanilla KD T 4, CE 0.1, KD 0.9;
    /// KD+LS (standardize) τ 2, CE 0.1, KD 9.
    static member Kd(standardize: bool, [<Optional>] temperature: Nullable<float>,
                     [<Optional>] ceWeight: Nullable<float>, [<Optional>] kdWeight: Nullable<float>) =
        Objectives.TemperatureCeKd(Objective.Presets.kdSettings standardize, Objective.Presets.kdWith standardize, temperature, ceWeight, kdWeight)
    /// ceWeight · CE + min(epoch / warmup, 1) · (α·TCKD + β·NCKD). Unset values take the paper's:
    /// DKD CE 1, α 1, β 8, T 4, warm-up 20; DKD+LS α 9, β 72, τ 2. It reads the epoch.
    static member Dkd(standardize: bool, [<Optional>] alpha: Nullable<float>, [<Optional>] beta: Nullable<float>,
                      [<Optional>] temperature: Nullable<float>, [<Optional>] ceWeight: Nullable<float>,
                      [<Optional>] warmup: Nullable<int>) =
        let a, b, t, c, w = Objective.Presets.dkdSettings standardize
        let warm = if warmup.HasValue then warmup.Value else w
        Objective.Presets.dkdWith standardize (Objectives.Or(alpha, a)) (Objectives.Or(beta, b)) (Objectives.Or(temperature, t)) (Objectives.Or(ceWeight, c)) warm
        |> Objectives.Checked
    /// MLKD's CE over both views + kdWeight · (instance + class + batch levels). Unset values take the
    /// paper's: MLKD T 4, CE 0.1, KD 0.9; MLKD+LS τ 2, CE 0.1, KD 9. It needs the strong views.
    static member Mlkd(standardize: bool, [<Optional>] temperature: Nullable<float>,
                       [<Optional>] ceWeight: Nullable<float>, [<Optional>] kdWeight: Nullable<float>) =
        Objectives.TemperatureCeKd(Objective.Presets.mlkdSettings standardize, Objective.Presets.mlkdWith standardize, temperature, ceWeight, kdWeight)
    /// ceWeight · CE + kdWeight · KD at CTKD's learned temperature. Unset values take the paper's:
    /// t 1 + 20·σ, CE 0.1, KD 0.9; CTKD+LS KD 9. It reads the epoch and the temperature parameter.
    static member Ctkd(standardize: bool, [<Optional>] tStart: Nullable<float>, [<Optional>] tEnd: Nullable<float>,
                       [<Optional>] ceWeight: Nullable<float>, [<Optional>] kdWeight: Nullable<float>) =
        let a, b, c, k = Objective.Presets.ctkdSettings standardize
        Objective.Presets.ctkdWith standardize (Objectives.Or(tStart, a)) (Objectives.Or(tEnd, b)) (Objectives.Or(ceWeight, c)) (Objectives.Or(kdWeight, k))
        |> Objectives.Checked
    /// ceWeight · CE + weight · DIST(β, γ, τ). Unset values take the official CIFAR-100 ones: τ 4, β 1,
    /// γ 1, CE 1, DIST 2; DIST+LS (METHODS.md's rule): τ 2, β 9, γ 9.
    static member Dist(standardize: bool, [<Optional>] beta: Nullable<float>, [<Optional>] gamma: Nullable<float>,
                       [<Optional>] temperature: Nullable<float>, [<Optional>] ceWeight: Nullable<float>, [<Optional>] weight: Nullable<float>) =
        let b, g, t, c, w = Objective.Presets.distSettingsFor (Objectives.Ls standardize)
        Objective.Presets.distWith standardize (Objectives.Or(beta, b)) (Objectives.Or(gamma, g)) (Objectives.Or(temperature, t)) (Objectives.Or(ceWeight, c)) (Objectives.Or(weight, w))
        |> Objectives.Checked
    /// ceWeight · CE + weight · NKD(T, γ). Unset values take the official CIFAR-100 config's: T 3, γ 3.5,
    /// CE 1, NKD 1; NKD+LS (METHODS.md's rule): τ 2, NKD 9.
    static member Nkd(standardize: bool, [<Optional>] temperature: Nullable<float>, [<Optional>] gamma: Nullable<float>,
                      [<Optional>] ceWeight: Nullable<float>, [<Optional>] weight: Nullable<float>) =
        let t, g, c, w = Objective.Presets.nkdSettingsFor (Objectives.Ls standardize)
        Objective.Presets.nkdWith standardize (Objectives.Or(temperature, t)) (Objectives.Or(gamma, g)) (Objectives.Or(ceWeight, c)) (Objectives.Or(weight, w))
        |> Objectives.Checked
    /// ceWeight · CE + weight · WTTM(γ). Unset values take the official README's example: γ 0.1, CE 1,
    /// WTTM 45; WTTM+LS (METHODS.md's rule): WTTM 405.
    static member Wttm(standardize: bool, [<Optional>] gamma: Nullable<float>, [<Optional>] ceWeight: Nullable<float>, [<Optional>] weight: Nullable<float>) =
        let g, c, w = Objective.Presets.wttmSettingsFor (Objectives.Ls standardize)
        Objective.Presets.wttmWith standardize (Objectives.Or(gamma, g)) (Objectives.Or(ceWeight, c)) (Objectives.Or(weight, w))
        |> Objectives.Checked
    /// ceWeight · CE + min(epoch / warmup, 1) · (α·SCD + β·MCD). Unset values take the official ones:
    /// α 1, β 8, T 4, α_T 4, CE 1, warm-up 20; RLD+LS α 9, β 72, τ 2, α_T 2. It reads the epoch.
    static member Rld(standardize: bool, [<Optional>] alpha: Nullable<float>, [<Optional>] beta: Nullable<float>,
                      [<Optional>] temperature: Nullable<float>, [<Optional>] alphaTemperature: Nullable<float>,
                      [<Optional>] ceWeight: Nullable<float>, [<Optional>] warmup: Nullable<int>) =
        let a, b, t, at, c, w = Objective.Presets.rldSettingsFor (Objectives.Ls standardize)
        let warm = if warmup.HasValue then warmup.Value else w
        Objective.Presets.rldWith standardize (Objectives.Or(alpha, a)) (Objectives.Or(beta, b)) (Objectives.Or(temperature, t)) (Objectives.Or(alphaTemperature, at)) (Objectives.Or(ceWeight, c)) warm
        |> Objectives.Checked
    /// A method's objective by name (`kd`, `dkd`, `mlkd`, `ctkd`, `dist`, `nkd`, `wttm`, `rld`): as
    /// published, or with LS by METHODS.md's one rule at base temperature τ (default 2) and KD weight
    /// w (default 9). An ArgumentException names an unknown method.
    static member ForMethod(name: string, standardize: bool, [<Optional>] baseTemperature: Nullable<float>, [<Optional>] kdWeight: Nullable<float>) =
        match Methods.tryParse name with
        | None -> invalidArg "name" (sprintf "unknown method '%s' (known: %s)" name (Methods.all |> List.map Methods.name |> String.concat ", "))
        | Some m ->
            let ls =
                if standardize then
                    Some { Objective.LsSettings.BaseTemperature = Objectives.Or(baseTemperature, Objective.Presets.paperLs.BaseTemperature)
                           Objective.LsSettings.KdWeight = Objectives.Or(kdWeight, Objective.Presets.paperLs.KdWeight) }
                else None
            Methods.objective m ls |> Objectives.Checked
    /// Every method name `ForMethod` knows, in the order tables list them.
    static member MethodNames : string[] = Methods.all |> List.map Methods.name |> Array.ofList

    /// The sum of the given terms (`Terms`), in order; names must be unique.
    static member Custom([<ParamArray>] terms: Objective.WeightedTerm[]) =
        Objectives.Checked { Objective.Objective.Terms = List.ofArray terms }

    /// The formula of an objective, e.g. `0.1·CE + 9·KD(τ=2, zscore)`.
    static member Describe(objective: Objective.Objective) = Objective.describe objective
    /// Whether an objective needs a teacher, MLKD's strong view, or CTKD's learnable temperature.
    static member NeedsTeacher(objective: Objective.Objective) = Objective.needsTeacher objective
    static member NeedsStrongView(objective: Objective.Objective) = Objective.needsStrongView objective
    static member NeedsTemperatureParam(objective: Objective.Objective) = Objective.needsTemperatureParam objective
    /// Whether a schedule of the objective reads the epoch (then `Distillation.Evaluate` requires it).
    static member ReadsEpoch(objective: Objective.Objective) = (Objective.epochReader objective).IsSome
    /// Whether each term (in order) reads the strong-view student logits as well as the main ones.
    static member TermsUseStrongView(objective: Objective.Objective) : bool[] =
        objective.Terms |> List.map (fun w -> Objective.usesStrongStudent w.Term) |> Array.ofList
    /// CTKD's (t_start, t_end) of an objective with a CTKD term; an ArgumentException otherwise.
    static member CtkdRange(objective: Objective.Objective) : struct (float * float) =
        match objective.Terms |> List.tryPick (fun w -> match w.Term with Objective.Ctkd (a, b, _) -> Some(struct (a, b)) | _ -> None) with
        | Some range -> range
        | None -> invalidArg "objective" (sprintf "the objective %s has no CTKD term" (Objective.describe objective))

    /// mdistiller's multi-step learning rate at a 1-based epoch.
    static member MultiStepLr(baseLr: float, milestones: int[], rate: float, epoch: int) =
        Schedules.multiStepLr baseLr (List.ofArray milestones) rate epoch
    /// DKD's warm-up factor min(epoch / warmup, 1).
    static member DkdWarmup(warmup: int, epoch: int) = Schedules.dkdWarmup warmup epoch
    /// CTKD's gradient-reversal λ at an epoch (0 → −1 over 10 epochs).
    static member CtkdLambda(epoch: int) = Schedules.ctkdLambda epoch
