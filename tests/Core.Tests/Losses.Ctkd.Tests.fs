/// Specifications of CTKD (`Losses.Ctkd.fs`): the gradient reversal, the learned temperature.
module LogitStd.Core.Tests.LossesCtkdTests

open System
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Losses
open LogitStd.Core.Tests.Oracles
open LogitStd.Core.Tests.StandardizeTests
open LogitStd.Core.Tests.LossesKdTests

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

let tests = ctkdTests
