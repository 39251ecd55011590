/// Specifications of the objective-as-data and the schedules.
module LogitStd.Core.Tests.ObjectiveTests

open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Objective
open LogitStd.Core.Tests.Oracles

let inputs (s: torch.Tensor) (t: torch.Tensor option) (y: torch.Tensor) epoch =
    { Student = s; Teacher = t; Target = y; StudentStrong = None; TeacherStrong = None; Epoch = epoch; TemperatureParam = None }

let tests =
    testList "Objective and schedules" [
        testCase "describes its own formula" <| fun () ->
            Expect.equal (describe (Presets.kd true)) "0.1·CE + 9·KD(τ=2, zscore)" "KD+LS"
            Expect.equal (describe (Presets.kd false)) "0.1·CE + 0.9·KD(T=4, raw)" "vanilla KD"
            Expect.equal (describe (Presets.dkd true)) "1·CE + 1·min(epoch/20, 1)·DKD(α=9, β=72, τ=2, zscore)" "DKD+LS"
            Expect.stringContains (describe (Presets.mlkd true)) "9·MLKD-instance(τ=2, zscore)" "MLKD+LS"
            Expect.stringContains (describe (Presets.ctkd false)) "0.9·KD(T=1+20·σ(GRL(g)), raw)" "CTKD"

        testCase "the presets carry the paper's settings" <| fun () ->
            let weights o = o.Terms |> List.map (fun w -> w.Name, w.Weight)
            Expect.equal (weights (Presets.kd false)) [ "ce", 0.1; "kd", 0.9 ] "vanilla KD"
            Expect.equal (weights (Presets.kd true)) [ "ce", 0.1; "kd", 9.0 ] "KD+LS"
            Expect.equal (Presets.dkd false).Terms.[1].Term (Dkd(1.0, 8.0, 4.0, 20, Standardize.Raw)) "DKD"
            Expect.equal (Presets.dkd true).Terms.[1].Term (Dkd(9.0, 72.0, 2.0, 20, Standardize.ZScore)) "DKD+LS"
            Expect.equal (weights (Presets.ctkd true)) [ "ce", 0.1; "kd", 9.0 ] "CTKD+LS"
            Expect.isTrue (needsStrongView (Presets.mlkd true)) "MLKD needs two views"
            Expect.isTrue (needsTemperatureParam (Presets.ctkd true)) "CTKD needs its temperature"
            Expect.isFalse (needsTeacher Presets.crossEntropy) "CE alone needs no teacher"

        testCase "evaluates each named, weighted term; the total is their sum" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 3.0)
            let y = labels (randomLabels 1 4 10)
            let terms = evaluate (Presets.kd true) (inputs s (Some t) y 1)
            Expect.equal (terms |> List.map fst) [ "ce"; "kd" ] "names in order"
            let ce = scalar (torch.nn.functional.cross_entropy(s, y))
            let kd = scalar (Losses.Kd.kd Standardize.ZScore 2.0 s t)
            Expect.floatClose Accuracy.veryHigh (scalar (snd terms.[0])) (0.1 * ce) "weighted CE"
            Expect.floatClose Accuracy.veryHigh (scalar (snd terms.[1])) (9.0 * kd) "weighted KD"
            Expect.floatClose Accuracy.veryHigh (scalar (total terms)) (0.1 * ce + 9.0 * kd) "total"

        testCase "a term that needs a teacher says so when none is given" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s = f64 (randomRows 1 4 10 2.0)
            let y = labels (randomLabels 1 4 10)
            Expect.throwsC (fun () -> evaluate (Presets.dkd false) (inputs s None y 1) |> ignore)
                (fun e -> Expect.stringContains e.Message "term 'dkd' needs teacher logits" "names the term")

        testCase "validates once at its boundary: non-finite logits of any view are named, labels out of range too" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 3.0)
            let y = labels (randomLabels 1 4 10)
            let nanAt (x: torch.Tensor) = let c = x.clone() in c.[0, 3] <- torch.tensor(System.Double.NaN, dtype = torch.float64); c
            Expect.throwsC (fun () -> evaluate (Presets.kd true) (inputs (nanAt s) (Some t) y 1) |> ignore) (fun e ->
                Expect.equal (e.GetType()) typeof<Validate.NonFiniteLogitsException> "its own type: a diverging student"
                Expect.stringStarts e.Message "student logits contain 1 NaN" "names the batch (not the strong view)")
            Expect.throwsC (fun () -> evaluate (Presets.kd false) (inputs s (Some (nanAt t)) y 1) |> ignore) (fun e ->
                Expect.stringContains e.Message "teacher logits contain 1 NaN" "names the teacher")
            let mlkd = { inputs s (Some t) y 1 with StudentStrong = Some (nanAt s); TeacherStrong = Some t }
            Expect.throwsC (fun () -> evaluate (Presets.mlkd true) mlkd |> ignore) (fun e ->
                Expect.stringContains e.Message "strong-view student logits contain 1 NaN" "names the strong view")
            let bad = labels [| 0L; 1L; 10L; 2L |]
            Expect.throwsC (fun () -> evaluate (Presets.kd true) (inputs s (Some t) bad 1) |> ignore) (fun e ->
                Expect.stringContains e.Message "labels must lie in [0, 10)" "labels")

        testCase "validation rejects duplicate names and bad temperatures" <| fun () ->
            let dup = { Terms = [ { Name = "kd"; Weight = 1.0; Term = CrossEntropy }; { Name = "kd"; Weight = 1.0; Term = Kd(2.0, Standardize.Raw) } ] }
            Expect.throwsC (fun () -> validate dup) (fun e -> Expect.stringContains e.Message "'kd' is used twice" "duplicate")
            let bad = { Terms = [ { Name = "kd"; Weight = 1.0; Term = Kd(-1.0, Standardize.Raw) } ] }
            Expect.throwsC (fun () -> validate bad) (fun e -> Expect.stringContains e.Message "positive" "temperature")
            validate (Presets.mlkd true)

        testCase "multi-step LR decays after each milestone (mdistiller: epoch > milestone)" <| fun () ->
            let lr = Schedules.multiStepLr 0.05 [ 150; 180; 210 ] 0.1
            Expect.floatClose Accuracy.veryHigh (lr 1) 0.05 "epoch 1"
            Expect.floatClose Accuracy.veryHigh (lr 150) 0.05 "epoch 150"
            Expect.floatClose Accuracy.veryHigh (lr 151) 0.005 "epoch 151"
            Expect.floatClose Accuracy.veryHigh (lr 211) 0.00005 "epoch 211"

        testCase "DKD warm-up and CTKD λ schedules" <| fun () ->
            Expect.equal (Schedules.dkdWarmup 20 1) 0.05 "epoch 1"
            Expect.equal (Schedules.dkdWarmup 20 20) 1.0 "epoch 20"
            Expect.equal (Schedules.dkdWarmup 20 240) 1.0 "capped at 1"
            Expect.floatClose Accuracy.veryHigh (Schedules.ctkdLambda 0) 0.0 "λ starts at 0"
            Expect.floatClose Accuracy.veryHigh (Schedules.ctkdLambda 5) -0.5 "half-way"
            Expect.floatClose Accuracy.veryHigh (Schedules.ctkdLambda 10) -1.0 "reaches −1"
            Expect.floatClose Accuracy.veryHigh (Schedules.ctkdLambda 200) -1.0 "stays at −1"
    ]

/// Specifications of the summary statistics over seeds.
let statsTests =
    testList "Stats" [
        testCase "mean and sample std (n − 1)" <| fun () ->
            Expect.floatClose Accuracy.veryHigh (Stats.mean [ 1.0; 2.0; 3.0; 4.0 ]) 2.5 "mean"
            Expect.floatClose Accuracy.veryHigh (Stats.sampleStd [ 1.0; 2.0; 3.0; 4.0 ]) (sqrt (5.0 / 3.0)) "std"
            Expect.equal (Stats.sampleStd [ 7.0 ]) 0.0 "one value"

        testCase "paired difference with a t interval" <| fun () ->
            // differences 1, 2, 3: mean 2, std 1, n 3, t(2) = 4.303 → half-width 4.303/√3
            let d = Stats.pairedDifference [ (10.0, 11.0); (10.0, 12.0); (10.0, 13.0) ]
            Expect.floatClose Accuracy.veryHigh d.Mean 2.0 "mean difference"
            Expect.floatClose Accuracy.high d.HalfWidth (4.303 / sqrt 3.0) "half-width"
            Expect.equal d.Count 3 "pairs"
            Expect.isTrue (System.Double.IsNaN (Stats.pairedDifference [ (1.0, 2.0) ]).HalfWidth) "no interval from one pair"
            Expect.equal (Stats.tQuantile975 4) 2.776 "t(4)"
            Expect.equal (Stats.tQuantile975 1000) 1.96 "normal limit"
    ]
