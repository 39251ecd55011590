/// What every loss shares, verified in float64 (PAPER.md §3): gradients by autograd against central
/// finite differences and a closed form (three oracles), edge cases, and named errors for bad input.
module LogitStd.Core.Tests.LossesTests

open System
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Losses
open LogitStd.Core.Tests.Oracles
open LogitStd.Core.Tests.StandardizeTests
open LogitStd.Core.Tests.LossesKdTests

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
            yield { Name = sprintf "dist %s B=%d K=%d" tag b k; Loss = (fun x -> Dist.dist prep 1.0 2.0 4.0 x t); Student = s }
            yield { Name = sprintf "nkd %s B=%d K=%d" tag b k; Loss = (fun x -> Nkd.nkd prep 3.0 3.5 x t y); Student = s }
            yield { Name = sprintf "wttm %s B=%d K=%d" tag b k; Loss = (fun x -> Wttm.wttm prep 0.2 x t); Student = s }
            yield { Name = sprintf "rld %s B=%d K=%d" tag b k; Loss = (fun x -> Rld.rld prep 1.0 8.0 4.0 2.0 x t y); Student = s }
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

let edgeCaseTests =
    let lossesOn (s: torch.Tensor) (t: torch.Tensor) (y: torch.Tensor) =
        let b, k = s.shape.[0], s.shape.[1]
        let ss, ts = s.flip(0L), t.flip(0L)
        [ "kd", Kd.kd ZScore 2.0 s t
          "dkd", Dkd.dkd ZScore 9.0 72.0 2.0 s t y
          "mlkd", Mlkd.objective ZScore 2.0 0.1 9.0 { StudentWeak = s; StudentStrong = ss; TeacherWeak = t; TeacherStrong = ts } y
          "ctkd", Ctkd.ctkd ZScore 1.0 20.0 -1.0 (torch.tensor(0.0, dtype = s.dtype)) s t
          "dist", Dist.dist ZScore 9.0 9.0 2.0 s t
          "nkd", Nkd.nkd ZScore 2.0 3.5 s t y
          "wttm", Wttm.wttm ZScore 0.1 s t
          "rld", Rld.rld ZScore 9.0 72.0 2.0 2.0 s t y ]
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
    testList "Losses" [ gradientTests; closedFormTests; edgeCaseTests; badInputTests ]
