/// Specifications of the Z-score pre-process (PAPER.md §2).
module LogitStd.Core.Tests.StandardizeTests

open System
open Expecto
open FsCheck
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Tests.Oracles

/// Properties run from a fixed seed: the same inputs every run.
let config = { FsCheckConfig.defaultConfig with maxTest = 60; replay = Some(20240317UL, 4243UL, None) }

/// A batch drawn from the property's integers: B in 1..6, K in 2..60, scale in [0.01, 100].
let batchOf (seed: int) (bRaw: int) (kRaw: int) (scaleRaw: int) =
    let b = 1 + abs (bRaw % 6)
    let k = 2 + abs (kRaw % 59)
    let scale = 10.0 ** (float (abs (scaleRaw % 9)) / 2.0 - 2.0)
    randomRows seed b k scale

let zRows (x: float[][]) =
    use scope = torch.NewDisposeScope()
    toRows (zscore (f64 x))

let unbiasedStd (row: float[]) =
    let m = Array.average row
    sqrt ((row |> Array.sumBy (fun v -> (v - m) ** 2.0)) / float (row.Length - 1))

let tests =
    testList "Standardize (Z-score)" [
        testPropertyWithConfig config "rows have zero mean" <| fun seed b k s ->
            zRows (batchOf seed b k s) |> Array.forall (fun r -> abs (Array.average r) < 1e-12)

        testPropertyWithConfig config "rows have unit unbiased std, and std 1/τ after dividing by τ" <| fun seed b k s (tauRaw: int) ->
            let x = batchOf seed b k s
            let tau = 0.5 + float (abs (tauRaw % 8)) * 0.5
            // exactly σ/(σ + ε): 1 up to ε/σ (≈1e-7 for σ ≈ 1, 1e-5 for the smallest spreads drawn here)
            Array.forall2 (fun xr r ->
                let sigma = unbiasedStd xr
                let unit = sigma / (sigma + Epsilon)
                abs (unbiasedStd r - unit) < 1e-9
                && abs (unbiasedStd (r |> Array.map (fun v -> v / tau)) - unit / tau) < 1e-9) x (zRows x)

        testPropertyWithConfig config "is monotone: the order of the logits is preserved" <| fun seed b k s ->
            let x = batchOf seed b k s
            Array.forall2 (fun (xr: float[]) (zr: float[]) ->
                Seq.forall (fun i -> Seq.forall (fun j -> (xr.[i] < xr.[j]) = (zr.[i] < zr.[j])) [0 .. xr.Length - 1]) [0 .. xr.Length - 1]) x (zRows x)

        testPropertyWithConfig config "is bounded by (K−1)/√K" <| fun seed b k s ->
            let x = batchOf seed b k s
            let bound = Standardize.bound x.[0].Length
            zRows x |> Array.forall (Array.forall (fun v -> abs v <= bound + 1e-9))

        testCase "the bound (K−1)/√K is reached by a one-hot row" <| fun () ->
            for k in [ 2; 10; 100 ] do
                let row = Array.init k (fun i -> if i = 0 then 1.0 else 0.0)
                let z = (zRows [| row |]).[0]
                Expect.floatClose { absolute = 0.0; relative = 1e-6 } z.[0] (Standardize.bound k) (sprintf "K = %d (up to the eps on the std)" k)

        testPropertyWithConfig config "Z(a·x + b) = Z(x) for a > 0 (up to ε/(a·σ))" <| fun seed bb k (aRaw: int) (offRaw: int) ->
            // spreads of order 1 and a ≥ 0.1 keep the eps effect ε/(a·σ) below 1e-5
            let x = randomRows seed (1 + abs (bb % 6)) (2 + abs (k % 59)) 3.0
            let a = 0.1 + float (abs (aRaw % 100)) / 10.0
            let off = float (offRaw % 1000) / 10.0
            let y = x |> Array.map (Array.map (fun v -> a * v + off))
            allClose 1e-5 1e-6 (zRows x) (zRows y)

        testCase "Figure 2: standardized teacher, S1 and S2" <| fun () ->
            let z = zRows [| [| 1.0; 4.0; 3.0; 2.0 |]; [| 1.0; 2.8; 3.0; 2.0 |]; [| 0.0; 0.3; 0.2; 0.1 |] |]
            let expectT = [| -1.162; 1.162; 0.387; -0.387 |]
            let expectS1 = [| -1.320; 0.660; 0.880; -0.220 |]
            Expect.isTrue (allClose 0.0 5e-4 [| expectT; expectS1; expectT |] z) (sprintf "got %A" z)

        testCase "uses the unbiased std and adds 1e-7 to the std" <| fun () ->
            // [0, 2]: mean 1, unbiased std √2 → ±1/(√2 + 1e-7); the biased std (1) would give ±1.
            let z = (zRows [| [| 0.0; 2.0 |] |]).[0]
            Expect.floatClose Accuracy.veryHigh z.[1] (1.0 / (sqrt 2.0 + Epsilon)) "unbiased std with eps on the std"

        testCase "a constant row standardizes to zeros with a finite gradient" <| fun () ->
            let x = [| Array.create 5 3.7; [| 1.0; 2.0; 3.0; 4.0; 5.0 |] |]
            let z = zRows x
            Expect.isTrue (z.[0] |> Array.forall (fun v -> v = 0.0)) "zeros"
            let w = f64 (randomRows 3 2 5 1.0)
            let g = autogradGrad (fun t -> (zscore t * w).sum()) x
            Expect.isTrue (g |> Array.concat |> Array.forall Double.IsFinite) (sprintf "finite gradient, got %A" g)

        testCase "logits of magnitude 1e4 and spreads of 1e-6 standardize correctly" <| fun () ->
            let big = [| [| 1e4; -1e4; 5e3; 0.0 |] |]
            let tiny = [| [| 1.0; 1.0 + 1e-6; 1.0 + 2e-6; 1.0 + 3e-6 |] |]
            Expect.isTrue (allClose 1e-6 1e-9 (zRows [| [| 1.0; -1.0; 0.5; 0.0 |] |]) (zRows big)) "scale invariance at 1e4 (up to eps/σ)"
            let zt = (zRows tiny).[0]
            // std of the spread ≈ 1.29e-6, comparable to eps 1e-7: the values shrink by σ/(σ+ε).
            let sigma = unbiasedStd tiny.[0]
            let expected = tiny.[0] |> Array.map (fun v -> (v - Array.average tiny.[0]) / (sigma + Epsilon))
            Expect.isTrue (allClose 1e-6 1e-9 [| expected |] [| zt |]) (sprintf "got %A" zt)

        testCase "two classes and 1000 classes" <| fun () ->
            let two = zRows [| [| 3.0; -1.0 |] |]
            Expect.isTrue (allClose 1e-7 0.0 [| [| 1.0 / sqrt 2.0; -1.0 / sqrt 2.0 |] |] two) "two classes: ±1/√2"
            let x = randomRows 11 3 1000 2.0
            let z = zRows x
            Expect.isTrue (z |> Array.forall (fun r -> abs (Array.average r) < 1e-12 && abs (unbiasedStd r - 1.0) < 1e-6)) "1000 classes"

        testCase "float32 agrees with float64 to float32 precision" <| fun () ->
            let x = randomRows 5 8 100 3.0
            use z32 = zscore (f32 x)
            Expect.equal z32.dtype torch.float32 "keeps float32"
            Expect.isLessThan (maxAbsDiff (zRows x) (toRows z32)) 1e-5 "float32 vs float64"

        testCase "gradient: autograd matches central finite differences" <| fun () ->
            let x = randomRows 21 3 7 1.5
            let w = f64 (randomRows 22 3 7 1.0)
            let f (t: torch.Tensor) = (zscore t * w).sum()
            let a = autogradGrad f x
            let n = finiteDiffGrad f 1e-6 x
            Expect.isTrue (allClose 1e-5 1e-7 n a) (sprintf "max diff %g" (maxAbsDiff n a))

        testList "bad input" [
            testCase "one class" <| fun () ->
                Expect.throwsC (fun () -> zscore (f64 [| [| 1.0 |] |]) |> ignore) (fun e -> Expect.stringContains e.Message "1 class" "names the problem")
            testCase "NaN logits" <| fun () ->
                Expect.throwsC (fun () -> zscore (f64 [| [| 1.0; nan; 2.0 |] |]) |> ignore) (fun e -> Expect.stringContains e.Message "1 NaN" "counts NaN")
            testCase "a 1-D tensor" <| fun () ->
                Expect.throwsC (fun () -> zscore (torch.ones(5L, dtype = torch.float64)) |> ignore) (fun e -> Expect.stringContains e.Message "[5]" "names the shape")
        ]
    ]
