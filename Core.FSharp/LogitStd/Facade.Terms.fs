namespace LogitStd.Core

open System.Runtime.InteropServices
open LogitStd.Core.Standardize
open LogitStd.Core.Objective

/// The terms of a custom objective, for C# callers: each a named, weighted loss with its own
/// hyper-parameters, combined by `Objectives.Custom`. The names are the keys of `LossResult.Terms`.
[<AbstractClass; Sealed>]
type Terms =
    static member private Of(name: string, weight: float, term: Term) = { Name = name; Weight = weight; Term = term }
    static member private Prep(standardize: bool) = if standardize then ZScore else Raw

    /// weight · CE(raw student logits, target).
    static member CrossEntropy(weight: float, [<Optional; DefaultParameterValue("ce")>] name: string) =
        Terms.Of(name, weight, CrossEntropy)
    /// weight · (CE(student, y) + CE(strong-view student, y)): MLKD's cross-entropy over both views.
    static member CrossEntropyTwoViews(weight: float, [<Optional; DefaultParameterValue("ce")>] name: string) =
        Terms.Of(name, weight, CrossEntropyTwoViews)
    /// weight · KD at `temperature` (the base temperature τ when standardized).
    static member Kd(weight: float, temperature: float, standardize: bool, [<Optional; DefaultParameterValue("kd")>] name: string) =
        Terms.Of(name, weight, Kd(temperature, Terms.Prep standardize))
    /// weight · min(epoch / warmup, 1) · (α·TCKD + β·NCKD).
    static member Dkd(weight: float, alpha: float, beta: float, temperature: float, warmup: int, standardize: bool,
                      [<Optional; DefaultParameterValue("dkd")>] name: string) =
        Terms.Of(name, weight, Dkd(alpha, beta, temperature, warmup, Terms.Prep standardize))
    /// weight · MLKD's instance level over both views (the level logit standardization applies to).
    static member MlkdInstance(weight: float, temperature: float, standardize: bool, [<Optional; DefaultParameterValue("kd")>] name: string) =
        Terms.Of(name, weight, MlkdInstance(temperature, Terms.Prep standardize))
    /// weight · MLKD's class level (raw logits in the official objective).
    static member MlkdClass(weight: float, temperature: float, standardize: bool, [<Optional; DefaultParameterValue("cc")>] name: string) =
        Terms.Of(name, weight, MlkdClass(temperature, Terms.Prep standardize))
    /// weight · MLKD's batch level (raw logits in the official objective).
    static member MlkdBatch(weight: float, temperature: float, standardize: bool, [<Optional; DefaultParameterValue("bc")>] name: string) =
        Terms.Of(name, weight, MlkdBatch(temperature, Terms.Prep standardize))
    /// weight · KD at CTKD's learned temperature t_start + t_end·σ(GRL(g, λ(epoch))).
    static member Ctkd(weight: float, tStart: float, tEnd: float, standardize: bool, [<Optional; DefaultParameterValue("kd")>] name: string) =
        Terms.Of(name, weight, Ctkd(tStart, tEnd, Terms.Prep standardize))
    /// weight · DIST (β·inter + γ·intra at `temperature`).
    static member Dist(weight: float, beta: float, gamma: float, temperature: float, standardize: bool,
                       [<Optional; DefaultParameterValue("dist")>] name: string) =
        Terms.Of(name, weight, Dist(beta, gamma, temperature, Terms.Prep standardize))
    /// weight · NKD (target term + γ·T²·non-target term).
    static member Nkd(weight: float, temperature: float, gamma: float, standardize: bool,
                      [<Optional; DefaultParameterValue("nkd")>] name: string) =
        Terms.Of(name, weight, Nkd(temperature, gamma, Terms.Prep standardize))
    /// weight · WTTM (the power γ of the teacher's probabilities).
    static member Wttm(weight: float, gamma: float, standardize: bool, [<Optional; DefaultParameterValue("wttm")>] name: string) =
        Terms.Of(name, weight, Wttm(gamma, Terms.Prep standardize))
    /// weight · min(epoch / warmup, 1) · (α·SCD + β·MCD).
    static member Rld(weight: float, alpha: float, beta: float, temperature: float, alphaTemperature: float, warmup: int, standardize: bool,
                      [<Optional; DefaultParameterValue("rld")>] name: string) =
        Terms.Of(name, weight, Rld(alpha, beta, temperature, alphaTemperature, warmup, Terms.Prep standardize))
