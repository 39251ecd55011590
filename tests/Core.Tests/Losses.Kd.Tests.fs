/// Specifications of the KD loss (PAPER.md §3; `Losses.Kd.fs`): the Figure 2 numbers, properties, the manual formula.
module LogitStd.Core.Tests.LossesKdTests

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

let tests = kdTests
