/// Specifications of DIST, NKD, WTTM and RLD (METHODS.md; `Losses.Dist.fs`, `Losses.Nkd.fs`,
/// `Losses.Wttm.fs`, `Losses.Rld.fs`): the loop-by-loop oracle, closed forms and identities with the
/// older losses, invariances, the batch coupling of DIST, and the edge cases METHODS.md names.
module LogitStd.Core.Tests.LossesNewerTests

open System
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Losses
open LogitStd.Core.Tests.Oracles
open LogitStd.Core.Tests.LossesKdTests

let private v (t: torch.Tensor) = scalar t
let private close = Accuracy.veryHigh
let private preps = [ Raw, false; ZScore, true ]

/// Labels whose teacher argmax is NOT the label in every row (the teacher is wrong).
let private wrongLabels (t: float[][]) =
    t |> Array.map (fun r -> let top = r |> Array.indexed |> Array.maxBy snd |> fst in int64 ((top + 1) % r.Length))

/// Labels equal to the teacher's argmax (the teacher is right).
let private rightLabels (t: float[][]) = t |> Array.map (fun r -> r |> Array.indexed |> Array.maxBy snd |> fst |> int64)

let private affine a off (m: float[][]) = m |> Array.map (Array.map (fun x -> a * x + off))

let distTests =
    testList "DIST" [
        testCase "equals the loop-by-loop formula (raw and z-score; B = 1, 2, 5; K = 2, 10, 37)" <| fun () ->
            for (b, k, seed) in [ (1, 10, 1); (2, 2, 2); (2, 10, 3); (5, 37, 4) ] do
                for prep, std in preps do
                    use scope = torch.NewDisposeScope()
                    let s, t = randomRows seed b k 2.0, randomRows (seed + 50) b k 3.0
                    Expect.floatClose close (v (Dist.dist prep 1.0 2.0 4.0 (f64 s) (f64 t))) (NewerOracles.dist std 1.0 2.0 4.0 s t) (sprintf "B=%d K=%d %A" b k prep)

        testCase "a student equal to the teacher has loss 0 but for the eps: 1 − ‖a‖²/(‖a‖² + 1e-8) per row and column" <| fun () ->
            use scope = torch.NewDisposeScope()
            let t = randomRows 3 6 10 3.0
            let p = t |> Array.map (fun r -> let e = r |> Array.map (fun x -> exp (x / 4.0)) in let z = Array.sum e in e |> Array.map (fun x -> x / z))
            let share (rows: float[][]) =
                rows |> Array.averageBy (fun r -> let m = Array.average r in let n2 = r |> Array.sumBy (fun x -> (x - m) ** 2.0) in 1.0 - n2 / (n2 + 1e-8))
            let cols = Array.init 10 (fun j -> p |> Array.map (fun r -> r.[j]))
            let expected = 16.0 * (share p + share cols)
            Expect.floatClose { absolute = 1e-12; relative = 1e-6 } (v (Dist.dist Raw 1.0 1.0 4.0 (f64 t) (f64 t))) expected "identical logits"
            Expect.isLessThan expected 1e-2 "and that is small"

        testCase "inter is the mean of per-sample terms; intra couples the batch" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 7 4 10 2.0, randomRows 8 4 10 3.0
            let whole = Dist.parts Raw 4.0 (f64 s) (f64 t)
            let single i = Dist.parts Raw 4.0 (f64 [| s.[i] |]) (f64 [| t.[i] |])
            let interMean = [ 0 .. 3 ] |> List.averageBy (fun i -> v (single i).Inter)
            Expect.floatClose close (v whole.Inter) interMean "inter: the mean over the samples"
            // Intra over the first two samples changes when the other two join: the batch matters.
            let firstTwo = Dist.parts Raw 4.0 (f64 s.[0..1]) (f64 t.[0..1])
            let firstTwoInBatch = v whole.Intra
            Expect.isGreaterThan (abs (v firstTwo.Intra - firstTwoInBatch)) 1e-3 "intra depends on the other samples"

        testCase "B = 2: each class's Pearson across the batch is ±1, so intra = τ²·(1 − mean_k sign)" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 11 2 10 2.0, randomRows 12 2 10 3.0
            let p (m: float[][]) = m |> Array.map (fun r -> let e = r |> Array.map (fun x -> exp (x / 4.0)) in let z = Array.sum e in e |> Array.map (fun x -> x / z))
            let ps, pt = p s, p t
            // Centred over two samples, a column is ±Δ/2: the Pearson is (ΔaΔb/2) / (|ΔaΔb|/2 + 1e-8), a sign up to the eps.
            let signs = Array.init 10 (fun k -> let d = (ps.[0].[k] - ps.[1].[k]) * (pt.[0].[k] - pt.[1].[k]) in (d / 2.0) / (abs d / 2.0 + 1e-8))
            Expect.all signs (fun c -> abs (abs c - 1.0) < 1e-2) "each is ±1 to within the eps"
            let expected = 16.0 * (1.0 - Array.average signs)
            Expect.floatClose { absolute = 1e-6; relative = 1e-6 } (v (Dist.parts Raw 4.0 (f64 s) (f64 t)).Intra) expected "closed form at B = 2"

        testCase "B = 1: intra is τ² (every column has one value: no spread, correlation 0), with a finite gradient" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s = (f64 (randomRows 1 1 10 2.0)).requires_grad_()
            let p = Dist.parts ZScore 2.0 s (f64 (randomRows 2 1 10 3.0))
            Expect.floatClose close (v p.Intra) 4.0 "τ²"
            (p.Inter + p.Intra).backward()
            Expect.isTrue (toRows s.grad |> Array.concat |> Array.forall Double.IsFinite) "finite gradient"

        testCase "with LS it is unchanged under a positive affine map of either logit matrix" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 5 6 10 2.0, randomRows 6 6 10 3.0
            let base' = v (Dist.dist ZScore 9.0 9.0 2.0 (f64 s) (f64 t))
            for a, off in [ 0.3, -2.0; 7.0, 50.0 ] do
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Dist.dist ZScore 9.0 9.0 2.0 (f64 (affine a off s)) (f64 t))) base' "student mapped"
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Dist.dist ZScore 9.0 9.0 2.0 (f64 s) (f64 (affine a off t)))) base' "teacher mapped"
    ]

let nkdTests =
    testList "NKD" [
        testCase "equals the loop-by-loop formula (teacher right and wrong; raw and z-score)" <| fun () ->
            for (b, k, seed) in [ (1, 10, 1); (4, 10, 2); (3, 37, 3) ] do
                let s, t = randomRows seed b k 2.0, randomRows (seed + 50) b k 3.0
                for y in [ rightLabels t; wrongLabels t; randomLabels seed b k ] do
                    for prep, std in preps do
                        use scope = torch.NewDisposeScope()
                        Expect.floatClose close (v (Nkd.nkd prep 3.0 3.5 (f64 s) (f64 t) (labels y))) (NewerOracles.nkd std 3.0 3.5 s t y) (sprintf "B=%d K=%d %A" b k prep)

        testCase "K = 2: the non-target part is 0 (one column left, probability 1)" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 4 5 2 2.0, randomRows 5 5 2 3.0
            let p = Nkd.parts ZScore 2.0 3.5 (f64 s) (f64 t) (labels (randomLabels 4 5 2))
            Expect.floatClose { absolute = 1e-12; relative = 0.0 } (v p.NonTarget) 0.0 "zero"

        testCase "the target term is −mean p_t[y]·log p_s[y]; its gradient does not reach the teacher" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 6 3 10 2.0, randomRows 7 3 10 3.0
            let y = wrongLabels t
            let tt = (f64 t).requires_grad_()
            let p = Nkd.parts Raw 1.0 1.5 ((f64 s).requires_grad_()) tt (labels y)
            let sm (r: float[]) = let e = r |> Array.map exp in let z = Array.sum e in e |> Array.map (fun x -> x / z)
            let expected = Array.init 3 (fun i -> -(sm t.[i]).[int y.[i]] * log (sm s.[i]).[int y.[i]]) |> Array.average
            Expect.floatClose close (v p.Target) expected "target term"
            p.Target.backward()
            Expect.isTrue (isNull (box tt.grad) || (toRows tt.grad |> Array.concat |> Array.forall ((=) 0.0))) "no gradient through p_t[y]"

        testCase "with LS it is unchanged under a positive affine map of either logit matrix" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 5 6 10 2.0, randomRows 6 6 10 3.0
            let y = labels (randomLabels 5 6 10)
            let base' = v (Nkd.nkd ZScore 2.0 3.5 (f64 s) (f64 t) y)
            for a, off in [ 0.3, -2.0; 7.0, 50.0 ] do
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Nkd.nkd ZScore 2.0 3.5 (f64 (affine a off s)) (f64 t) y)) base' "student mapped"
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Nkd.nkd ZScore 2.0 3.5 (f64 s) (f64 (affine a off t)) y)) base' "teacher mapped"
    ]

let wttmTests =
    testList "WTTM" [
        testCase "equals the loop-by-loop formula (γ 0.1, 0.2, 0.5; raw and z-score)" <| fun () ->
            for (b, k, seed) in [ (1, 2, 1); (4, 10, 2); (3, 100, 3) ] do
                let s, t = randomRows seed b k 2.0, randomRows (seed + 50) b k 3.0
                for gamma in [ 0.1; 0.2; 0.5 ] do
                    for prep, std in preps do
                        use scope = torch.NewDisposeScope()
                        Expect.floatClose close (v (Wttm.wttm prep gamma (f64 s) (f64 t))) (NewerOracles.wttm std gamma s t) (sprintf "B=%d K=%d γ=%g %A" b k gamma prep)

        testCase "γ = 1 is KD at T = 1 (w = 1, q = p_t)" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = f64 (randomRows 3 4 10 2.0), f64 (randomRows 4 4 10 3.0)
            for prep in [ Raw; ZScore ] do
                Expect.floatClose close (v (Wttm.wttm prep 1.0 s t)) (v (Kd.kd prep 1.0 s t)) (sprintf "%A" prep)

        testCase "the weight Σ p_t^γ lies in [1, K^(1−γ)]: a confident teacher weighs least" <| fun () ->
            use scope = torch.NewDisposeScope()
            let t = f64 [| [| 500.0; 0.0; 0.0; 0.0 |]; [| 1.0; 1.0; 1.0; 1.0 |] |]
            let w = (Wttm.weightsOf 0.1 t).contiguous().data<float>().ToArray()
            Expect.floatClose { absolute = 1e-9; relative = 0.0 } w.[0] 1.0 "one-hot teacher: 1"
            Expect.floatClose close w.[1] (4.0 ** 0.9) "uniform teacher: K^(1−γ)"

        testCase "a student at 1e4 scale keeps a finite value and gradient (log space, no underflow)" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s = (f32 (randomRows 1 3 10 1e4)).requires_grad_()
            let loss = Wttm.wttm Raw 0.1 s (f32 (randomRows 2 3 10 1e4))
            loss.backward()
            Expect.isTrue (Double.IsFinite (v loss)) "finite value"
            Expect.isTrue (toRows s.grad |> Array.concat |> Array.forall Double.IsFinite) "finite gradient"

        testCase "with LS it is unchanged under a positive affine map of either logit matrix" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 5 6 10 2.0, randomRows 6 6 10 3.0
            let base' = v (Wttm.wttm ZScore 0.1 (f64 s) (f64 t))
            for a, off in [ 0.3, -2.0; 7.0, 50.0 ] do
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Wttm.wttm ZScore 0.1 (f64 (affine a off s)) (f64 t))) base' "student mapped"
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Wttm.wttm ZScore 0.1 (f64 s) (f64 (affine a off t)))) base' "teacher mapped"

        testCase "γ must be positive" <| fun () ->
            Expect.throwsC (fun () -> Wttm.wttm Raw 0.0 (f64 (randomRows 1 2 4 1.0)) (f64 (randomRows 2 2 4 1.0)) |> ignore)
                (fun e -> Expect.stringContains e.Message "gamma (WTTM's power) must be a positive" "named")
    ]

let rldTests =
    testList "RLD" [
        testCase "equals the loop-by-loop formula (teacher right, wrong, tied; raw and z-score)" <| fun () ->
            for (b, k, seed) in [ (1, 10, 1); (4, 10, 2); (3, 37, 3); (4, 2, 4) ] do
                let s, t = randomRows seed b k 2.0, randomRows (seed + 50) b k 3.0
                let tied = t |> Array.map (fun r -> let r = Array.copy r in let top = r |> Array.indexed |> Array.maxBy snd |> fst in r.[(top + 1) % k] <- r.[top]; r)
                for tt in [ t; tied ] do
                    for y in [ rightLabels tt; wrongLabels tt ] do
                        for prep, std in preps do
                            use scope = torch.NewDisposeScope()
                            Expect.floatClose close (v (Rld.rld prep 1.0 8.0 4.0 2.0 (f64 s) (f64 tt) (labels y))) (NewerOracles.rld std 1.0 8.0 4.0 2.0 s tt y)
                                (sprintf "B=%d K=%d %A" b k prep)

        testCase "where the teacher's top class is the label, RLD is DKD: SCD = TCKD and MCD = NCKD" <| fun () ->
            for prep in [ Raw; ZScore ] do
                use scope = torch.NewDisposeScope()
                let s, t = randomRows 21 5 10 2.0, randomRows 22 5 10 3.0
                let y = labels (rightLabels t)
                let r = Rld.parts prep 4.0 4.0 (f64 s) (f64 t) y
                let d = Dkd.parts prep 4.0 (f64 s) (f64 t) y
                Expect.floatClose close (v r.Scd) (v d.Tckd) (sprintf "SCD = TCKD %A" prep)
                Expect.floatClose close (v r.Mcd) (v d.Nckd) (sprintf "MCD = NCKD %A" prep)

        testCase "where the teacher is wrong, SCD reads the teacher's own top class and MCD drops every class ranked at or above the label" <| fun () ->
            use scope = torch.NewDisposeScope()
            // Teacher ranks class 2 > class 0 (label) > the rest; MCD sees classes 1 and 3 only.
            let t = [| [| 2.0; 0.5; 3.0; -1.0 |] |]
            let s = [| [| 0.3; 1.0; -0.2; 0.4 |] |]
            let r = Rld.parts Raw 1.0 1.0 (f64 s) (f64 t) (labels [| 0L |])
            let sm (xs: float[]) = let e = xs |> Array.map exp in let z = Array.sum e in e |> Array.map (fun x -> x / z)
            let pt, ps = sm t.[0], sm s.[0]
            let bt, bs = [| pt.[2]; 1.0 - pt.[2] |], [| ps.[0]; 1.0 - ps.[0] |]
            let scd = Array.map2 (fun a b -> a * log (a / b)) bt bs |> Array.sum
            let qt, qs = sm [| t.[0].[1]; t.[0].[3] |], sm [| s.[0].[1]; s.[0].[3] |]
            let mcd = Array.map2 (fun a b -> a * log (a / b)) qt qs |> Array.sum
            Expect.floatClose { absolute = 1e-12; relative = 1e-9 } (v r.Scd) scd "SCD"
            Expect.floatClose { absolute = 1e-12; relative = 1e-9 } (v r.Mcd) mcd "MCD"

        testCase "a confident student whose other-class mass underflows keeps a finite value and gradient" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s = (f32 [| [| 200.0; 0.0; 0.0; 0.0 |] |]).requires_grad_()
            let loss = Rld.rld Raw 1.0 8.0 1.0 1.0 s (f32 [| [| 300.0; 0.0; 0.0; 0.0 |] |]) (labels [| 0L |])
            loss.backward()
            Expect.isTrue (Double.IsFinite (v loss)) "finite value"
            Expect.isTrue (toRows s.grad |> Array.concat |> Array.forall Double.IsFinite) "finite gradient"

        testCase "with LS it is unchanged under a positive affine map of either logit matrix" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 5 6 10 2.0, randomRows 6 6 10 3.0
            let y = labels (randomLabels 5 6 10)
            let base' = v (Rld.rld ZScore 9.0 72.0 2.0 2.0 (f64 s) (f64 t) y)
            for a, off in [ 0.3, -2.0; 7.0, 50.0 ] do
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Rld.rld ZScore 9.0 72.0 2.0 2.0 (f64 (affine a off s)) (f64 t) y)) base' "student mapped"
                Expect.floatClose { absolute = 1e-8; relative = 1e-6 } (v (Rld.rld ZScore 9.0 72.0 2.0 2.0 (f64 s) (f64 (affine a off t)) y)) base' "teacher mapped"

        testCase "the warm-up scales only the RLD term (objective, epochs 1, 1/2 and past the warm-up)" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 2.0)
            let y = labels (randomLabels 1 4 10)
            let ce = v (torch.nn.functional.cross_entropy(s, y))
            let r = v (Rld.rld Raw 1.0 8.0 4.0 4.0 s t y)
            for epoch, factor in [ 1, 0.05; 10, 0.5; 20, 1.0; 30, 1.0 ] do
                let result = Distillation.Evaluate(Objectives.Rld(false), s, y, teacher = t, epoch = Nullable epoch)
                Expect.floatClose Accuracy.veryHigh (v result.Total) (ce + factor * r) (sprintf "epoch %d" epoch)
    ]

let tests = testList "Newer losses" [ distTests; nkdTests; wttmTests; rldTests ]
