/// Specifications of the DKD loss (`Losses.Dkd.fs`): the identity KD = TCKD + (1 − p_t[y])·NCKD and its parts.
module LogitStd.Core.Tests.LossesDkdTests

open System
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Losses
open LogitStd.Core.Tests.Oracles
open LogitStd.Core.Tests.StandardizeTests
open LogitStd.Core.Tests.LossesKdTests

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

let tests = dkdTests
