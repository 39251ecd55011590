/// Specifications of MLKD (`Losses.Mlkd.fs`): the masks, the levels and the official quirks.
module LogitStd.Core.Tests.LossesMlkdTests

open System
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize
open LogitStd.Core.Losses
open LogitStd.Core.Tests.Oracles
open LogitStd.Core.Tests.StandardizeTests
open LogitStd.Core.Tests.LossesKdTests

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

        testCase "ablation arms: a standardized class or batch level is the raw level of the Z-scored logits" <| fun () ->
            use scope = torch.NewDisposeScope()
            let sw, tw = f64 (randomRows 1 6 10 2.0), f64 (randomRows 3 6 10 3.0)
            let m, cm = Mlkd.masks tw
            let zs, zt = zscore sw, zscore tw
            for name, withPrep, raw, mask in [ "class", Mlkd.classLevelWith, Mlkd.classLevel, cm; "batch", Mlkd.batchLevelWith, Mlkd.batchLevel, m ] do
                let std = scalar (withPrep ZScore 2.0 sw tw mask)
                Expect.floatClose Accuracy.veryHigh std (scalar (raw 2.0 zs zt mask)) (name + ": Z-score, then the raw level")
                Expect.equal (scalar (withPrep Raw 2.0 sw tw mask)) (scalar (raw 2.0 sw tw mask)) (name + ": Raw is the official level")
                Expect.isGreaterThan (abs (std - scalar (raw 2.0 sw tw mask))) 1e-6 (name + ": the standardized level differs from the raw one")
    ]

let tests = mlkdTests
