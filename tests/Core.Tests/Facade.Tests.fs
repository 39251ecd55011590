/// The C# surface, member by member: every public member of the facade types is called here, as a
/// C# caller would (named arguments, optional values left out), and checked against the F# functions
/// it fronts. A reflection test fails when a facade member is added without a case below.
module LogitStd.Core.Tests.FacadeTests

open System
open System.Collections.Generic
open System.Reflection
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Tests.Oracles

let private batch () =
    let s, t = f64 (randomRows 11 6 5 2.0), f64 (randomRows 12 6 5 3.0)
    let s2, t2 = f64 (randomRows 13 6 5 2.0), f64 (randomRows 14 6 5 3.0)
    s, t, s2, t2, labels (randomLabels 15 6 5)

let private close (expected: float) (actual: torch.Tensor) what =
    Expect.floatClose Accuracy.veryHigh (scalar actual) expected what

let private throwsArg (f: unit -> obj) (mustMention: string list) what =
    match (try f () |> ignore; None with :? ArgumentException as e -> Some e) with
    | None -> failtestf "%s: no ArgumentException" what
    | Some e -> for m in mustMention do Expect.stringContains e.Message m what

let private ce (s: torch.Tensor) (y: torch.Tensor) = scalar (torch.nn.functional.cross_entropy(s, y))

/// "Type.Member" → its check. Property getters are named by the property.
let cases : (string * (unit -> unit)) list =
    [ "Distillation.ZScore", fun () ->
        use _s = torch.NewDisposeScope()
        let s, _, _, _, _ = batch ()
        let z = Distillation.ZScore s
        Expect.isLessThan (z.mean([| 1L |]).abs().max() |> scalar) 1e-12 "rows have zero mean"
      "Distillation.Kd", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, _ = batch ()
        close (scalar (Losses.Kd.kd Standardize.ZScore 2.0 s t)) (Distillation.Kd(s, t, temperature = 2.0, standardize = true)) "KD+LS"
        close (scalar (Losses.Kd.kd Standardize.Raw 4.0 s t)) (Distillation.Kd(s, t, 4.0)) "standardize defaults to false"
      "Distillation.KdPerSample", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, _ = batch ()
        let per = Distillation.KdPerSample(s, t, 2.0, standardize = true)
        Expect.equal per.shape [| 6L |] "one value per sample"
        close (scalar (Distillation.Kd(s, t, 2.0, true))) (per.mean()) "their mean is KD"
      "Distillation.Dkd", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        close (scalar (Losses.Dkd.dkd Standardize.ZScore 9.0 72.0 2.0 s t y)) (Distillation.Dkd(s, t, y, alpha = 9.0, beta = 72.0, temperature = 2.0, standardize = true)) "DKD+LS"
      "Distillation.MlkdObjective", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, s2, t2, y = batch ()
        let v : Losses.Mlkd.Views = { StudentWeak = s; StudentStrong = s2; TeacherWeak = t; TeacherStrong = t2 }
        close (scalar (Losses.Mlkd.objective Standardize.ZScore 2.0 0.1 9.0 v y)) (Distillation.MlkdObjective(s, s2, t, t2, y, 2.0, 0.1, 9.0, standardize = true)) "MLKD+LS"
      "Distillation.CtkdTemperature", fun () ->
        use _s = torch.NewDisposeScope()
        let g = torch.tensor([| 0.3 |], dtype = torch.float64)
        close (1.0 + 20.0 / (1.0 + exp -0.3)) (Distillation.CtkdTemperature(g, tStart = 1.0, tEnd = 20.0, lambda = -0.5)) "t_start + t_end·σ(g)"
      "Distillation.Ctkd", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, _ = batch ()
        let g = torch.tensor([| 0.3 |], dtype = torch.float64)
        close (scalar (Losses.Ctkd.ctkd Standardize.ZScore 1.0 20.0 -0.5 g s t)) (Distillation.Ctkd(s, t, g, 1.0, 20.0, -0.5, standardize = true)) "CTKD+LS"
      "Distillation.Dist", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, _ = batch ()
        close (NewerOracles.dist true 9.0 9.0 2.0 (Oracles.toRows s) (Oracles.toRows t)) (Distillation.Dist(s, t, beta = 9.0, gamma = 9.0, temperature = 2.0, standardize = true)) "DIST+LS"
      "Distillation.Nkd", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        let ys = y.data<int64>().ToArray()
        close (NewerOracles.nkd false 3.0 3.5 (Oracles.toRows s) (Oracles.toRows t) ys) (Distillation.Nkd(s, t, y, temperature = 3.0, gamma = 3.5)) "NKD"
      "Distillation.Wttm", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, _ = batch ()
        close (NewerOracles.wttm true 0.1 (Oracles.toRows s) (Oracles.toRows t)) (Distillation.Wttm(s, t, gamma = 0.1, standardize = true)) "WTTM+LS"
      "Distillation.Rld", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        let ys = y.data<int64>().ToArray()
        close (NewerOracles.rld true 9.0 72.0 2.0 2.0 (Oracles.toRows s) (Oracles.toRows t) ys)
            (Distillation.Rld(s, t, y, alpha = 9.0, beta = 72.0, temperature = 2.0, alphaTemperature = 2.0, standardize = true)) "RLD+LS"
      "Distillation.KdObjective", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        close (0.1 * ce s y + 9.0 * scalar (Losses.Kd.kd Standardize.ZScore 2.0 s t))
            (Distillation.KdObjective(s, t, y, temperature = 2.0, ceWeight = 0.1, kdWeight = 9.0, standardize = true)) "0.1·CE + 9·KD"
        throwsArg (fun () -> box (Distillation.KdObjective(s, t, y, 0.0, 0.1, 9.0))) [ "temperature" ] "a temperature of 0"
      "Distillation.DkdObjective", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        close (ce s y + 0.5 * scalar (Losses.Dkd.dkd Standardize.ZScore 9.0 72.0 2.0 s t y))
            (Distillation.DkdObjective(s, t, y, 9.0, 72.0, 2.0, ceWeight = 1.0, epoch = 10, warmup = 20, standardize = true)) "CE + 10/20·DKD"
      "Distillation.Evaluate", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, s2, t2, y = batch ()
        use r = Distillation.Evaluate(Objectives.Kd(standardize = true), s, y, teacher = t)
        Expect.equal [ for kv in r.Terms -> kv.Key ] [ "ce"; "kd" ] "the named terms, in order"
        close (scalar (r.["ce"] + r.["kd"])) r.Total "the total is their sum"
        throwsArg (fun () -> box (Distillation.Evaluate(Objectives.Dkd(true), s, y, teacher = t))) [ "'dkd'"; "epoch"; "warm-up" ]
            "DKD without an epoch: the warm-up would read it"
        throwsArg (fun () -> box (Distillation.Evaluate(Objectives.Ctkd(true), s, y, teacher = t, temperatureParam = torch.zeros(1L, dtype = torch.float64))))
            [ "epoch"; "CTKD" ] "CTKD without an epoch"
        throwsArg (fun () -> box (Distillation.Evaluate(Objectives.Dkd(true), s, y, teacher = t, epoch = 0))) [ "from 1" ] "epoch 0"
        use d = Distillation.Evaluate(Objectives.Dkd(true, warmup = 20), s, y, teacher = t, epoch = 5)
        close (ce s y + 0.25 * scalar (Losses.Dkd.dkd Standardize.ZScore 9.0 72.0 2.0 s t y)) d.Total "epoch 5 of a 20-epoch warm-up"
        use m = Distillation.Evaluate(Objectives.Mlkd(true), s, y, teacher = t, studentStrong = s2, teacherStrong = t2)
        Expect.equal [ for kv in m.Terms -> kv.Key ] [ "ce"; "kd"; "cc"; "bc" ] "MLKD's four terms"
        throwsArg (fun () -> box (Distillation.Evaluate(Objectives.Kd(true), s, y))) [ "teacher" ] "KD without a teacher"
      "Objectives.CrossEntropy", fun () ->
        Expect.equal (Objectives.Describe Objectives.CrossEntropy) "1·CE" "CE alone"
      "Objectives.Kd", fun () ->
        Expect.equal (Objectives.Describe(Objectives.Kd(temperature = 2.0, ceWeight = 0.1, kdWeight = 9.0, standardize = true))) "0.1·CE + 9·KD(τ=2, zscore)" "named settings"
        Expect.equal (Objectives.Kd(true)) (Objective.Presets.kd true) "unset: the paper's KD+LS"
        Expect.equal (Objectives.Describe(Objectives.Kd(false, temperature = 3.0))) "0.1·CE + 0.9·KD(T=3, raw)" "one setting overridden"
        throwsArg (fun () -> box (Objectives.Kd(true, temperature = -1.0))) [ "temperature" ] "validated when built"
      "Objectives.Dkd", fun () ->
        Expect.equal (Objectives.Dkd(false)) (Objective.Presets.dkd false) "unset: the paper's DKD"
        Expect.equal (Objectives.Describe(Objectives.Dkd(true, alpha = 1.0, beta = 8.0, warmup = 5))) "1·CE + 1·min(epoch/5, 1)·DKD(α=1, β=8, τ=2, zscore)" "overridden"
        throwsArg (fun () -> box (Objectives.Dkd(true, warmup = -1))) [ "warmup" ] "a negative warm-up"
      "Objectives.Mlkd", fun () ->
        Expect.equal (Objectives.Mlkd(true)) (Objective.Presets.mlkd true) "unset: the paper's MLKD+LS"
        Expect.stringContains (Objectives.Describe(Objectives.Mlkd(false, kdWeight = 2.0))) "2·MLKD-instance(τ=4, raw)" "overridden"
      "Objectives.Ctkd", fun () ->
        Expect.equal (Objectives.Ctkd(true)) (Objective.Presets.ctkd true) "unset: the paper's CTKD+LS"
        throwsArg (fun () -> box (Objectives.Ctkd(false, tStart = 0.0))) [ "t_start" ] "t_start 0"
      "Objectives.Dist", fun () ->
        Expect.equal (Objectives.Describe(Objectives.Dist(false))) "1·CE + 2·DIST(β=1, γ=1, T=4, raw)" "the official CIFAR-100 DIST"
        Expect.equal (Objectives.Describe(Objectives.Dist(true))) "1·CE + 2·DIST(β=9, γ=9, τ=2, zscore)" "DIST+LS by the one rule"
        throwsArg (fun () -> box (Objectives.Dist(false, temperature = 0.0))) [ "temperature" ] "validated when built"
      "Objectives.Nkd", fun () ->
        Expect.equal (Objectives.Describe(Objectives.Nkd(false))) "1·CE + 1·NKD(T=3, γ=3.5, raw)" "the official CIFAR-100 NKD"
        Expect.equal (Objectives.Describe(Objectives.Nkd(true, gamma = 1.5))) "1·CE + 9·NKD(τ=2, γ=1.5, zscore)" "NKD+LS, γ overridden"
      "Objectives.Wttm", fun () ->
        Expect.equal (Objectives.Describe(Objectives.Wttm(false))) "1·CE + 45·WTTM(γ=0.1, raw)" "the official README's WTTM"
        Expect.equal (Objectives.Describe(Objectives.Wttm(true))) "1·CE + 405·WTTM(γ=0.1, zscore)" "WTTM+LS by the one rule"
        throwsArg (fun () -> box (Objectives.Wttm(false, gamma = -1.0))) [ "gamma" ] "a negative power"
      "Objectives.Rld", fun () ->
        Expect.equal (Objectives.Describe(Objectives.Rld(false))) "1·CE + 1·min(epoch/20, 1)·RLD(α=1, β=8, T=4, α_T=4, raw)" "the official RLD"
        Expect.equal (Objectives.Describe(Objectives.Rld(true))) "1·CE + 1·min(epoch/20, 1)·RLD(α=9, β=72, τ=2, α_τ=2, zscore)" "the official RLD+LS"
        Expect.isTrue (Objectives.ReadsEpoch(Objectives.Rld(true))) "RLD's warm-up reads the epoch"
      "Objectives.ForMethod", fun () ->
        for name in Objectives.MethodNames do
            Expect.isTrue (Objectives.NeedsTeacher(Objectives.ForMethod(name, false))) (sprintf "%s distils" name)
        Expect.equal (Objectives.ForMethod("kd", true)) (Objective.Presets.kd true) "KD+LS at the paper's τ 2, w 9"
        Expect.equal (Objectives.ForMethod("DKD", true, baseTemperature = 1.0, kdWeight = 3.0)) (Objective.Presets.dkdWith true 3.0 24.0 1.0 1.0 20) "DKD+LS at τ 1, w 3"
        throwsArg (fun () -> box (Objectives.ForMethod("fitnet", false))) [ "unknown method 'fitnet'"; "rld" ] "an unknown name lists the known"
      "Objectives.MethodNames", fun () ->
        Expect.equal Objectives.MethodNames [| "kd"; "dkd"; "mlkd"; "ctkd"; "dist"; "nkd"; "wttm"; "rld" |] "the eight methods"
      "Objectives.Custom", fun () ->
        let o = Objectives.Custom(Terms.CrossEntropy(0.5), Terms.Kd(2.0, temperature = 3.0, standardize = true))
        Expect.equal (Objectives.Describe o) "0.5·CE + 2·KD(τ=3, zscore)" "a custom sum"
        throwsArg (fun () -> box (Objectives.Custom(Terms.Kd(1.0, 2.0, true), Terms.Kd(1.0, 4.0, false)))) [ "'kd'"; "twice" ] "a name used twice"
        throwsArg (fun () -> box (Objectives.Custom())) [ "no terms" ] "no terms"
      "Objectives.Describe", fun () ->
        Expect.equal (Objectives.Describe(Objectives.Kd(false))) "0.1·CE + 0.9·KD(T=4, raw)" "vanilla KD"
      "Objectives.NeedsTeacher", fun () ->
        Expect.isTrue (Objectives.NeedsTeacher(Objectives.Kd(true))) "KD"
        Expect.isFalse (Objectives.NeedsTeacher Objectives.CrossEntropy) "CE"
      "Objectives.NeedsStrongView", fun () ->
        Expect.isTrue (Objectives.NeedsStrongView(Objectives.Mlkd(true))) "MLKD"
        Expect.isFalse (Objectives.NeedsStrongView(Objectives.Kd(true))) "KD"
      "Objectives.NeedsTemperatureParam", fun () ->
        Expect.isTrue (Objectives.NeedsTemperatureParam(Objectives.Ctkd(true))) "CTKD"
        Expect.isFalse (Objectives.NeedsTemperatureParam(Objectives.Dkd(true))) "DKD"
      "Objectives.ReadsEpoch", fun () ->
        Expect.isTrue (Objectives.ReadsEpoch(Objectives.Dkd(true))) "DKD's warm-up"
        Expect.isFalse (Objectives.ReadsEpoch(Objectives.Dkd(true, warmup = 0))) "DKD without a warm-up"
        Expect.isTrue (Objectives.ReadsEpoch(Objectives.Ctkd(false))) "CTKD's λ"
        Expect.isFalse (Objectives.ReadsEpoch(Objectives.Kd(true))) "KD"
      "Objectives.TermsUseStrongView", fun () ->
        Expect.equal (Objectives.TermsUseStrongView(Objectives.Mlkd(true))) [| true; true; false; false |] "CE and the instance level read both views"
      "Objectives.CtkdRange", fun () ->
        Expect.equal (Objectives.CtkdRange(Objectives.Ctkd(true, tEnd = 10.0))) (struct (1.0, 10.0)) "(t_start, t_end)"
        throwsArg (fun () -> box (Objectives.CtkdRange(Objectives.Kd(true)))) [ "no CTKD term" ] "an objective without CTKD"
      "Objectives.MultiStepLr", fun () ->
        Expect.floatClose Accuracy.veryHigh (Objectives.MultiStepLr(0.05, [| 150; 180 |], 0.1, 151)) 0.005 "one milestone passed"
      "Objectives.DkdWarmup", fun () ->
        Expect.floatClose Accuracy.veryHigh (Objectives.DkdWarmup(20, 5)) 0.25 "5/20"
      "Objectives.CtkdLambda", fun () ->
        Expect.floatClose Accuracy.veryHigh (Objectives.CtkdLambda 10) -1.0 "−1 after 10 epochs"
      "Terms.CrossEntropy", fun () ->
        Expect.equal (Terms.CrossEntropy(0.5)) { Name = "ce"; Weight = 0.5; Term = Objective.CrossEntropy } "named ce"
      "Terms.CrossEntropyTwoViews", fun () ->
        Expect.equal (Terms.CrossEntropyTwoViews(1.0, name = "ce2")).Term Objective.CrossEntropyTwoViews "both views"
      "Terms.Kd", fun () ->
        Expect.equal (Terms.Kd(9.0, 2.0, true)).Term (Objective.Kd(2.0, Standardize.ZScore)) "KD+LS"
      "Terms.Dkd", fun () ->
        Expect.equal (Terms.Dkd(1.0, 9.0, 72.0, 2.0, 20, true)).Term (Objective.Dkd(9.0, 72.0, 2.0, 20, Standardize.ZScore)) "DKD+LS"
      "Terms.MlkdInstance", fun () ->
        Expect.equal (Terms.MlkdInstance(9.0, 2.0, true)).Term (Objective.MlkdInstance(2.0, Standardize.ZScore)) "instance level"
      "Terms.MlkdClass", fun () ->
        Expect.equal (Terms.MlkdClass(9.0, 2.0, false)) { Name = "cc"; Weight = 9.0; Term = Objective.MlkdClass(2.0, Standardize.Raw) } "class level"
      "Terms.MlkdBatch", fun () ->
        Expect.equal (Terms.MlkdBatch(9.0, 2.0, false)).Name "bc" "batch level"
      "Terms.Ctkd", fun () ->
        Expect.equal (Terms.Ctkd(9.0, 1.0, 20.0, true)).Term (Objective.Ctkd(1.0, 20.0, Standardize.ZScore)) "CTKD+LS"
      "Terms.Dist", fun () ->
        Expect.equal (Terms.Dist(2.0, 9.0, 9.0, 2.0, true)) { Name = "dist"; Weight = 2.0; Term = Objective.Dist(9.0, 9.0, 2.0, Standardize.ZScore) } "DIST+LS"
      "Terms.Nkd", fun () ->
        Expect.equal (Terms.Nkd(9.0, 2.0, 3.5, true)).Term (Objective.Nkd(2.0, 3.5, Standardize.ZScore)) "NKD+LS"
      "Terms.Wttm", fun () ->
        Expect.equal (Terms.Wttm(45.0, 0.1, false, name = "w")) { Name = "w"; Weight = 45.0; Term = Objective.Wttm(0.1, Standardize.Raw) } "WTTM, named"
      "Terms.Rld", fun () ->
        Expect.equal (Terms.Rld(1.0, 9.0, 72.0, 2.0, 2.0, 20, true)).Term (Objective.Rld(9.0, 72.0, 2.0, 2.0, 20, Standardize.ZScore)) "RLD+LS"
      "LossResult.Total", fun () ->
        use _s = torch.NewDisposeScope()
        let s, _, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.CrossEntropy, s, y)
        close (ce s y) r.Total "one term: the total is that term"
      "LossResult.Terms", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.Kd(false), s, y, teacher = t)
        close (0.1 * ce s y) r.Terms.[0].Value "the weighted CE"
      "LossResult.Item", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.Kd(false), s, y, teacher = t)
        close (0.9 * scalar (Losses.Kd.kd Standardize.Raw 4.0 s t)) r.["kd"] "the weighted KD"
        match (try r.["dkd"] |> ignore; None with :? KeyNotFoundException as e -> Some e.Message) with
        | Some message -> Expect.stringContains message "ce, kd" "an absent name: the message names the terms there are"
        | None -> failtest "an absent name: no KeyNotFoundException"
      "LossResult.ReadValues", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.Kd(true), s, y, teacher = t)
        let v = r.ReadValues()
        Expect.floatClose Accuracy.veryHigh v.Total (scalar r.Total) "the total"
        Expect.equal [ for kv in v.Terms -> kv.Key ] [ "ce"; "kd" ] "the names"
        Expect.floatClose Accuracy.veryHigh v.Terms.[1].Value (scalar r.["kd"]) "the values"
      "LossResult.ToString", fun () ->
        use _s = torch.NewDisposeScope()
        let s, t, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.Kd(true), s, y, teacher = t)
        Expect.stringStarts (r.ToString()) "total " "the total first"
        Expect.stringContains (r.ToString()) " = ce " "then the terms"
      "LossResult.Dispose", fun () ->
        let s, t, _, _, y = batch ()
        let r = Distillation.Evaluate(Objectives.Kd(true), s, y, teacher = t)
        let tensors = r.Total :: [ for kv in r.Terms -> kv.Value ]
        (r :> IDisposable).Dispose()
        Expect.isTrue (tensors |> List.forall (fun x -> x.IsInvalid)) "the total and every term are released"
        Expect.isFalse s.IsInvalid "the inputs are not"
        let one = Distillation.Evaluate(Objectives.CrossEntropy, s, y)
        (one :> IDisposable).Dispose()
        Expect.isTrue one.Total.IsInvalid "a total that is its only term is released once, without error"
      "LossValues.Total", fun () ->
        use _s = torch.NewDisposeScope()
        let s, _, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.CrossEntropy, s, y)
        Expect.floatClose Accuracy.veryHigh (r.ReadValues().Total) (ce s y) "CE"
      "LossValues.Terms", fun () ->
        use _s = torch.NewDisposeScope()
        let s, _, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.Custom(Terms.CrossEntropy(2.0, name = "twice")), s, y)
        Expect.equal (r.ReadValues().Terms.[0].Key) "twice" "the term's own name"
      "LossValues.ToString", fun () ->
        use _s = torch.NewDisposeScope()
        let s, _, _, _, y = batch ()
        use r = Distillation.Evaluate(Objectives.CrossEntropy, s, y)
        let v = r.ReadValues()
        Expect.equal (v.ToString()) (String.Format(Globalization.CultureInfo.InvariantCulture, "total {0:G6} = ce {0:G6}", v.Total)) "total = terms"
      "Statistics.Mean", fun () ->
        Expect.floatClose Accuracy.veryHigh (Statistics.Mean [ 1.0; 2.0; 6.0 ]) 3.0 "mean"
      "Statistics.SampleStd", fun () ->
        Expect.floatClose Accuracy.veryHigh (Statistics.SampleStd [ 1.0; 3.0 ]) (sqrt 2.0) "n − 1" ]

/// The public members each facade type declares, as "Type.Member" (inherited object members and
/// property accessors folded into their property).
let facadeMembers () =
    let facade = [ typeof<Distillation>; typeof<Objectives>; typeof<Terms>; typeof<LossResult>; typeof<LossValues>; typeof<Statistics> ]
    [ for t in facade do
          for m in t.GetMembers(BindingFlags.Public ||| BindingFlags.Static ||| BindingFlags.Instance ||| BindingFlags.DeclaredOnly) do
              match m with
              | :? MethodInfo as mi when mi.IsSpecialName -> ()
              | :? ConstructorInfo -> ()
              | _ -> yield t.Name + "." + m.Name
          if typeof<IDisposable>.IsAssignableFrom t then yield t.Name + ".Dispose" ]
    |> List.distinct |> List.sort

let tests =
    testList "facade" [
        testCase "every public member of the facade has a case here" <| fun () ->
            Expect.equal (cases |> List.map fst |> List.sort) (facadeMembers ()) "the cases name exactly the facade's members"
        testCase "the optional tensors are nullable for C#, the required ones are not" <| fun () ->
            let ctx = NullabilityInfoContext()
            let evaluate = typeof<Distillation>.GetMethod("Evaluate")
            let state name = (ctx.Create(evaluate.GetParameters() |> Array.find (fun p -> p.Name = name))).ReadState
            for p in [ "teacher"; "studentStrong"; "teacherStrong"; "temperatureParam" ] do
                Expect.equal (state p) NullabilityState.Nullable (sprintf "%s is Tensor?" p)
            for p in [ "objective"; "student"; "target" ] do
                Expect.equal (state p) NullabilityState.NotNull (sprintf "%s is required" p)
        testList "each member" [ for name, check in cases -> testCase name check ]
    ]
