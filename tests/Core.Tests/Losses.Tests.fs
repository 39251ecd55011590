/// Specifications of the KD, DKD, MLKD and CTKD losses (PAPER.md §3), verified in float64 against
/// autograd, central finite differences, closed forms and the paper's Figure 2 numbers.
module LogitStd.Core.Tests.LossesTests

open System
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Losses
open LogitStd.Core.Tests.Oracles
open LogitStd.Core.Tests.StandardizeTests

let kdValue prep temp (s: float[][]) (t: float[][]) =
    use scope = torch.NewDisposeScope()
    scalar (Kd.kd prep temp (f64 s) (f64 t))

/// A loss as a function of the student logits only, for the gradient oracles.
type GradCase = { Name: string; Loss: torch.Tensor -> torch.Tensor; Student: float[][] }

let gradCases : GradCase list =
    [ for prep in [ Raw; ZScore ] do
        let tag = match prep with Raw -> "raw" | ZScore -> "zscore"
        for (b, k, seed) in [ (1, 2, 1); (4, 10, 2); (3, 37, 3) ] do
            let s = randomRows seed b k 2.0
            let t = f64 (randomRows (seed + 100) b k 3.0)
            let y = labels (randomLabels seed b k)
            yield { Name = sprintf "kd T=2 %s B=%d K=%d" tag b k; Loss = (fun x -> Kd.kd prep 2.0 x t); Student = s }
            yield { Name = sprintf "dkd %s B=%d K=%d" tag b k; Loss = (fun x -> Dkd.dkd prep 1.0 8.0 4.0 x t y); Student = s }
            yield { Name = sprintf "kd-objective %s B=%d K=%d" tag b k
                    Loss = (fun x -> Distillation.KdObjective(x, t, y, 2.0, 0.1, 9.0, (prep = ZScore))); Student = s }
            yield { Name = sprintf "dkd-objective %s B=%d K=%d" tag b k
                    Loss = (fun x -> Distillation.DkdObjective(x, t, y, 9.0, 72.0, 2.0, 1.0, 10, 20, (prep = ZScore))); Student = s }
            yield { Name = sprintf "ctkd %s B=%d K=%d" tag b k
                    Loss = (fun x -> Ctkd.ctkd prep 1.0 20.0 -0.5 (torch.tensor(0.3, dtype = torch.float64)) x t); Student = s }
            let ss = f64 (randomRows (seed + 200) b k 2.0)
            let ts = f64 (randomRows (seed + 300) b k 3.0)
            yield { Name = sprintf "mlkd-objective (weak view) %s B=%d K=%d" tag b k
                    Loss = (fun x -> Mlkd.objective prep 2.0 0.1 9.0 { StudentWeak = x; StudentStrong = ss; TeacherWeak = t; TeacherStrong = ts } y)
                    Student = s }
            yield { Name = sprintf "mlkd-objective (strong view) %s B=%d K=%d" tag b k
                    Loss = (fun x -> Mlkd.objective prep 2.0 0.1 9.0 { StudentWeak = f64 s; StudentStrong = x; TeacherWeak = t; TeacherStrong = ts } y)
                    Student = randomRows (seed + 200) b k 2.0 } ]

let gradientTests =
    testList "gradients: autograd = central finite differences (float64)" [
        for c in gradCases ->
            testCase c.Name <| fun () ->
                let a = autogradGrad c.Loss c.Student
                let n = finiteDiffGrad c.Loss 1e-6 c.Student
                Expect.isTrue (allClose 1e-5 1e-7 n a) (sprintf "max |autograd − fd| = %g" (maxAbsDiff n a))
    ]

let closedFormTests =
    testList "gradients: closed form of Z-score + KD (third oracle)" [
        for (b, k, tau, seed) in [ (1, 4, 1.0, 1); (5, 10, 2.0, 2); (2, 100, 4.0, 3); (3, 2, 2.0, 4) ] ->
            testCase (sprintf "B=%d K=%d τ=%g" b k tau) <| fun () ->
                let s = randomRows seed b k 2.5
                let t = randomRows (seed + 50) b k 4.0
                let closed = zscoreKdClosedFormGrad tau s t
                let tt = f64 t
                let a = autogradGrad (fun x -> Kd.kd ZScore tau x tt) s
                Expect.isTrue (allClose 1e-7 1e-10 closed a) (sprintf "max |autograd − closed form| = %g" (maxAbsDiff closed a))
    ]

let kdTests =
    testList "KD" [
        testCase "Figure 2: raw KD prefers the wrong student; the Z-score fixes it" <| fun () ->
            let t = [| [| 1.0; 4.0; 3.0; 2.0 |] |]
            let s1 = [| [| 1.0; 2.8; 3.0; 2.0 |] |]
            let s2 = [| [| 0.0; 0.3; 0.2; 0.1 |] |]
            Expect.floatClose { absolute = 5e-5; relative = 0.0 } (kdValue Raw 1.0 s1 t) 0.1749 "raw S1"
            Expect.floatClose { absolute = 5e-5; relative = 0.0 } (kdValue Raw 1.0 s2 t) 0.3457 "raw S2"
            Expect.floatClose { absolute = 5e-5; relative = 0.0 } (kdValue ZScore 1.0 s1 t) 0.0995 "standardized S1"
            Expect.floatClose { absolute = 5e-5; relative = 0.0 } (kdValue ZScore 1.0 s2 t) 0.0 "standardized S2"

        testPropertyWithConfig config "kd(x, x) = 0 and kd ≥ 0" <| fun seed b k s (tRaw: int) ->
            let x = batchOf seed b k s
            let y = batchOf (seed + 1) b k s
            let temp = 1.0 + float (abs (tRaw % 4))
            [ Raw; ZScore ] |> List.forall (fun p -> abs (kdValue p temp x x) < 1e-12 && kdValue p temp x y >= -1e-12)

        testPropertyWithConfig config "standardized KD is unchanged under positive affine maps of teacher or student" <| fun seed b k (aRaw: int) (offRaw: int) ->
            let s = randomRows seed (1 + abs (b % 5)) (2 + abs (k % 40)) 2.0
            let t = randomRows (seed + 9) s.Length s.[0].Length 3.0
            let a = 0.2 + float (abs (aRaw % 50)) / 5.0
            let off = float (offRaw % 100)
            let affine m = m |> Array.map (Array.map (fun v -> a * v + off))
            let base' = kdValue ZScore 2.0 s t
            abs (kdValue ZScore 2.0 (affine s) t - base') < 1e-6 * (1.0 + base')
            && abs (kdValue ZScore 2.0 s (affine t) - base') < 1e-6 * (1.0 + base')

        testCase "raw KD is *not* invariant to scaling the student (the problem LS solves)" <| fun () ->
            let s = randomRows 1 4 10 1.0
            let t = randomRows 2 4 10 3.0
            Expect.isGreaterThan (abs (kdValue Raw 4.0 s t - kdValue Raw 4.0 (s |> Array.map (Array.map ((*) 5.0))) t)) 1e-3 "scale changes raw KD"

        testCase "is T² · mean over the batch of the per-class KL sum" <| fun () ->
            let s = randomRows 3 3 5 1.0
            let t = randomRows 4 3 5 1.0
            let manual =
                Array.map2 (fun (sr: float[]) (tr: float[]) ->
                    let sm (v: float[]) = let e = v |> Array.map (fun x -> exp (x / 3.0)) in let z = Array.sum e in e |> Array.map (fun x -> x / z)
                    let p, q = sm tr, sm sr
                    Array.map2 (fun pi qi -> pi * (log pi - log qi)) p q |> Array.sum) s t
                |> Array.average |> (*) 9.0
            Expect.floatClose Accuracy.veryHigh (kdValue Raw 3.0 s t) manual "manual formula"
    ]

let dkdTests =
    testList "DKD" [
        testCase "KD = TCKD + (1 − p_t[y]) · NCKD per sample (the DKD paper's identity)" <| fun () ->
            for seed in 1 .. 5 do
                let s = randomRows seed 1 10 2.0
                let t = randomRows (seed + 10) 1 10 2.0
                let y = randomLabels seed 1 10
                for prep in [ Raw; ZScore ] do
                    use scope = torch.NewDisposeScope()
                    let parts = Dkd.parts prep 4.0 (f64 s) (f64 t) (labels y)
                    let tPrepped = if prep = ZScore then zscore (f64 t) else f64 t
                    let ptTarget = scalar ((tPrepped / 4.0).softmax(1L).[0L, y.[0]])
                    let kd = kdValue prep 4.0 s t
                    Expect.floatClose Accuracy.high (scalar parts.Tckd + (1.0 - ptTarget) * scalar parts.Nckd) kd (sprintf "seed %d %A" seed prep)

        testCase "a confident student whose non-target mass underflows keeps a finite value and gradient" <| fun () ->
            // float32, raw logits, gap 200 at T = 1: softmax's non-target mass is exactly 0 for the student
            // and the teacher; the official log(0) would give a NaN gradient (0·∞).
            use scope = torch.NewDisposeScope()
            let s = (f32 [| [| 200.0; 0.0; 0.0; 0.0 |] |]).requires_grad_()
            let t = f32 [| [| 300.0; 0.0; 0.0; 0.0 |] |]
            let loss = Dkd.dkd Raw 1.0 8.0 1.0 s t (labels [| 0L |])
            loss.backward()
            Expect.isTrue (Double.IsFinite (scalar loss)) "finite value"
            Expect.isTrue (toRows s.grad |> Array.concat |> Array.forall Double.IsFinite) "finite gradient"

        testCase "α and β weight TCKD and NCKD" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t, y = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 2.0), labels (randomLabels 1 4 10)
            let p = Dkd.parts ZScore 2.0 s t y
            Expect.floatClose Accuracy.veryHigh (scalar (Dkd.dkd ZScore 9.0 72.0 2.0 s t y)) (9.0 * scalar p.Tckd + 72.0 * scalar p.Nckd) "α·TCKD + β·NCKD"

        testCase "warm-up scales only the DKD term" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t, y = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 2.0), labels (randomLabels 1 4 10)
            let ce = scalar (torch.nn.functional.cross_entropy(s, y))
            let d = scalar (Dkd.dkd Raw 1.0 8.0 4.0 s t y)
            for epoch, factor in [ 1, 0.05; 10, 0.5; 20, 1.0; 100, 1.0 ] do
                let o = scalar (Distillation.DkdObjective(s, t, y, 1.0, 8.0, 4.0, 1.0, epoch, 20))
                Expect.floatClose Accuracy.veryHigh o (ce + factor * d) (sprintf "epoch %d" epoch)
    ]

let mlkdTests =
    testList "MLKD" [
        testCase "percentile 50 follows numpy's linear interpolation" <| fun () ->
            Expect.equal (Mlkd.percentile50 [| 3.0; 1.0; 2.0 |]) 2.0 "odd count: the median"
            Expect.equal (Mlkd.percentile50 [| 4.0; 1.0; 3.0; 2.0 |]) 2.5 "even count: midpoint"
            Expect.equal (Mlkd.percentile50 [| 7.0 |]) 7.0 "one value"

        testCase "masks select confidences at or below the median" <| fun () ->
            use scope = torch.NewDisposeScope()
            let tw = f64 [| [| 5.0; 0.0; 0.0 |]; [| 1.0; 0.0; 0.0 |]; [| 3.0; 0.0; 0.0 |]; [| 0.1; 0.0; 0.0 |] |]
            let m, cm = Mlkd.masks tw
            Expect.equal (toRows (m.unsqueeze(0L))).[0] [| 0.0; 1.0; 0.0; 1.0 |] "instance mask"
            Expect.equal ((toRows (cm.unsqueeze(0L))).[0] |> Array.sum) 2.0 "class mask: 2 of 3 at or below the median"

        testCase "a student equal to its teacher pays only the cross-entropy" <| fun () ->
            use scope = torch.NewDisposeScope()
            let w, s = f64 (randomRows 1 6 10 2.0), f64 (randomRows 2 6 10 2.0)
            let y = labels (randomLabels 1 6 10)
            for prep in [ Raw; ZScore ] do
                let p = Mlkd.parts prep 2.0 0.1 9.0 { StudentWeak = w; StudentStrong = s; TeacherWeak = w; TeacherStrong = s } y
                Expect.floatClose Accuracy.veryHigh (scalar p.Kd + scalar p.Cc + scalar p.Bc) 0.0 "no distillation loss"
                let ce = 0.1 * (scalar (torch.nn.functional.cross_entropy(w, y)) + scalar (torch.nn.functional.cross_entropy(s, y)))
                Expect.floatClose Accuracy.veryHigh (scalar p.Ce) ce "CE on both views"

        testCase "official quirk: the mask weights a scalar loss by the selected fraction" <| fun () ->
            use scope = torch.NewDisposeScope()
            let sw, ss = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 2.0)
            let tw, ts = f64 (randomRows 3 4 10 3.0), f64 (randomRows 4 4 10 3.0)
            let m, _ = Mlkd.masks tw
            let frac = scalar (m.mean())
            Expect.equal frac 0.5 "half the batch of 4 is at or below the median"
            let v : Mlkd.Views = { StudentWeak = sw; StudentStrong = ss; TeacherWeak = tw; TeacherStrong = ts }
            let kd p temp a b = scalar (Kd.kd p temp a b)
            let weakMasked = [ 2.0; 3.0; 5.0; 2.0; 6.0 ] |> List.sumBy (fun temp -> frac * kd ZScore temp sw tw)
            let strong = [ 2.0; 3.0; 5.0 ] |> List.sumBy (fun temp -> kd ZScore temp ss ts)
            let weakInStrong = [ 2.0; 6.0 ] |> List.sumBy (fun temp -> kd ZScore temp sw tw)
            let expected = weakMasked + strong + weakInStrong
            Expect.floatClose Accuracy.veryHigh (scalar (Mlkd.instanceLevel ZScore 2.0 v m)) expected "instance level"

        testCase "class and batch levels use raw logits even with LS" <| fun () ->
            use scope = torch.NewDisposeScope()
            let sw, ss = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 2.0)
            let tw, ts = f64 (randomRows 3 4 10 3.0), f64 (randomRows 4 4 10 3.0)
            let y = labels (randomLabels 1 4 10)
            let v : Mlkd.Views = { StudentWeak = sw; StudentStrong = ss; TeacherWeak = tw; TeacherStrong = ts }
            let raw, ls = Mlkd.parts Raw 2.0 0.1 9.0 v y, Mlkd.parts ZScore 2.0 0.1 9.0 v y
            Expect.equal (scalar raw.Cc) (scalar ls.Cc) "class level"
            Expect.equal (scalar raw.Bc) (scalar ls.Bc) "batch level"
            Expect.notEqual (scalar raw.Kd) (scalar ls.Kd) "instance level differs"
    ]

let ctkdTests =
    testList "CTKD" [
        testCase "temperature = t_start + t_end · sigmoid(g)" <| fun () ->
            use g = torch.tensor(1.0, dtype = torch.float64)
            use t = Ctkd.temperature 1.0 20.0 -1.0 g
            Expect.floatClose Accuracy.veryHigh (scalar t) (1.0 + 20.0 / (1.0 + exp -1.0)) "15.6212"

        testCase "the gradient-reversal layer multiplies the parameter's gradient by λ" <| fun () ->
            let s, t = f64 (randomRows 1 4 10 2.0), f64 (randomRows 2 4 10 2.0)
            let gradAt lambda =
                use g = torch.tensor(0.4, dtype = torch.float64).requires_grad_()
                use loss = Ctkd.ctkd ZScore 1.0 20.0 lambda g s t
                loss.backward()
                scalar g.grad
            let plain = gradAt 1.0
            Expect.isGreaterThan (abs plain) 1e-6 "a non-trivial plain gradient"
            for lambda in [ 0.0; -0.5; -1.0 ] do
                Expect.floatClose Accuracy.veryHigh (gradAt lambda) (lambda * plain) (sprintf "λ = %g" lambda)

        testCase "the plain gradient of the temperature matches finite differences" <| fun () ->
            let s, t = f64 (randomRows 1 3 10 2.0), f64 (randomRows 2 3 10 2.0)
            let value (g: float) = scalar (Ctkd.ctkd Raw 1.0 20.0 1.0 (torch.tensor(g, dtype = torch.float64)) s t)
            use g = torch.tensor(0.4, dtype = torch.float64).requires_grad_()
            use loss = Ctkd.ctkd Raw 1.0 20.0 1.0 g s t
            loss.backward()
            let fd = (value (0.4 + 1e-6) - value (0.4 - 1e-6)) / 2e-6
            Expect.floatClose { absolute = 1e-8; relative = 1e-5 } (scalar g.grad) fd "d loss / d g"

        testCase "equals KD at the same fixed temperature" <| fun () ->
            let s, t = randomRows 1 3 10 2.0, randomRows 2 3 10 2.0
            use g = torch.tensor(0.0, dtype = torch.float64)
            for prep in [ Raw; ZScore ] do
                use v = Ctkd.ctkd prep 1.0 20.0 0.0 g (f64 s) (f64 t)
                Expect.floatClose Accuracy.veryHigh (scalar v) (kdValue prep 11.0 s t) "T = 1 + 20·σ(0) = 11"
    ]

let edgeCaseTests =
    let lossesOn (s: torch.Tensor) (t: torch.Tensor) (y: torch.Tensor) =
        let b, k = s.shape.[0], s.shape.[1]
        let ss, ts = s.flip(0L), t.flip(0L)
        [ "kd", Kd.kd ZScore 2.0 s t
          "dkd", Dkd.dkd ZScore 9.0 72.0 2.0 s t y
          "mlkd", Mlkd.objective ZScore 2.0 0.1 9.0 { StudentWeak = s; StudentStrong = ss; TeacherWeak = t; TeacherStrong = ts } y
          "ctkd", Ctkd.ctkd ZScore 1.0 20.0 -1.0 (torch.tensor(0.0, dtype = s.dtype)) s t ]
        |> List.map (fun (n, v) -> sprintf "%s (B=%d K=%d)" n b k, v)
    let finiteEverywhere (s: float[][]) (t: float[][]) =
        use scope = torch.NewDisposeScope()
        let st = (f64 s).requires_grad_()
        let y = labels (randomLabels 5 s.Length s.[0].Length)
        for name, v in lossesOn st (f64 t) y do
            Expect.isTrue (Double.IsFinite (scalar v)) (sprintf "%s: finite value, got %g" name (scalar v))
            st.grad |> Option.ofObj |> Option.iter (fun g -> g.zero_() |> ignore)
            v.backward()
            Expect.isTrue (toRows st.grad |> Array.concat |> Array.forall Double.IsFinite) (sprintf "%s: finite gradient" name)
    testList "edge cases with the Z-score (every loss: finite value and gradient)" [
        testCase "constant rows" <| fun () ->
            finiteEverywhere [| Array.create 10 2.0; [| 0.0 .. 9.0 |] |] [| [| 0.0 .. 9.0 |]; Array.create 10 -1.0 |]
        testCase "logits of magnitude 1e4" <| fun () ->
            finiteEverywhere (randomRows 1 3 10 1e4) (randomRows 2 3 10 1e4)
        testCase "spreads of 1e-6" <| fun () ->
            finiteEverywhere (randomRows 1 3 10 1e-6) (randomRows 2 3 10 1e-6)
        testCase "two classes" <| fun () ->
            finiteEverywhere (randomRows 1 4 2 1.0) (randomRows 2 4 2 1.0)
        testCase "1000 classes" <| fun () ->
            finiteEverywhere (randomRows 1 2 1000 1.0) (randomRows 2 2 1000 3.0)
        testCase "float32 agrees with float64 to float32 precision" <| fun () ->
            use scope = torch.NewDisposeScope()
            let s, t = randomRows 1 8 100 2.0, randomRows 2 8 100 3.0
            let y = labels (randomLabels 1 8 100)
            let v64 = lossesOn (f64 s) (f64 t) y |> List.map (snd >> scalar)
            let l32 = lossesOn (f32 s) (f32 t) y
            for (name, v32), r in List.zip l32 v64 do
                Expect.equal v32.dtype torch.float32 (sprintf "%s stays float32" name)
                Expect.floatClose { absolute = 1e-5; relative = 1e-4 } (scalar v32) r name
    ]

let badInputTests =
    let s, t = randomRows 1 4 10 1.0, randomRows 2 4 10 1.0
    let throwsWith (f: unit -> torch.Tensor) (text: string) =
        Expect.throwsC (fun () -> f () |> ignore) (fun e -> Expect.stringContains e.Message text "the message names the problem")
    testList "bad input raises a named error" [
        testCase "teacher/student shape mismatch" <| fun () ->
            throwsWith (fun () -> Kd.kd Raw 4.0 (f64 s) (f64 (randomRows 3 4 9 1.0))) "does not match student logits shape [4, 10]"
        testCase "labels out of range" <| fun () ->
            throwsWith (fun () -> Dkd.dkd Raw 1.0 8.0 4.0 (f64 s) (f64 t) (labels [| 0L; 1L; 10L; 2L |])) "found values from 0 to 10"
        testCase "labels of the wrong length" <| fun () ->
            throwsWith (fun () -> Dkd.dkd Raw 1.0 8.0 4.0 (f64 s) (f64 t) (labels [| 0L; 1L |])) "labels must have shape [4]"
        testCase "one class" <| fun () ->
            throwsWith (fun () -> Kd.kd Raw 4.0 (f64 [| [| 1.0 |] |]) (f64 [| [| 2.0 |] |])) "1 class"
        testCase "NaN logits" <| fun () ->
            let bad = s |> Array.map Array.copy
            bad.[2].[3] <- nan
            throwsWith (fun () -> Kd.kd ZScore 2.0 (f64 bad) (f64 t)) "student logits contain 1 NaN"
        testCase "non-positive temperature" <| fun () ->
            throwsWith (fun () -> Kd.kd Raw 0.0 (f64 s) (f64 t)) "temperature must be a positive"
    ]

let tests =
    testList "Losses" [ gradientTests; closedFormTests; kdTests; dkdTests; mlkdTests; ctkdTests; edgeCaseTests; badInputTests ]
