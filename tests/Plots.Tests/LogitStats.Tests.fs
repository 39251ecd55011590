/// LogitStats against values worked out by hand, and the CSV files it writes for the trainer.
module LogitStd.Plots.Tests.LogitStatsTests

open System
open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Plots
open LogitStd.Shell.Runs

// Three images, K = 3; class 1 has no image.
//   [1 2 3] label 0: mean 2, unbiased std √((1+0+1)/2) = 1, range 2
//   [3 1 2] label 0: mean 2, std 1, range 2
//   [0 0 6] label 2: mean 2, std √((4+4+16)/2) = √12, range 6
let private small () =
    LogitMatrix(array2D [ [ 1.0; 2.0; 3.0 ]; [ 3.0; 1.0; 2.0 ]; [ 0.0; 0.0; 6.0 ] ], [| 0; 0; 2 |])

let private close (actual: float) (expected: float) what = Expect.floatClose Accuracy.veryHigh actual expected what

let tests =
    testList "LogitStats" [
        test "class means are the mean logit vector per label; a label without images is NaN" {
            let m = LogitStats.ClassMeans(small ())
            Expect.equal (m.GetLength 0, m.GetLength 1) (3, 3) "K × K"
            [ 2.0; 1.5; 2.5 ] |> List.iteri (fun j e -> close m[0, j] e $"M[0,{j}]")
            [ 0.0; 0.0; 6.0 ] |> List.iteri (fun j e -> close m[2, j] e $"M[2,{j}]")
            for j in 0 .. 2 do Expect.isTrue (Double.IsNaN m[1, j]) "no image of class 1"
        }

        test "per-sample mean, unbiased std (K − 1) and range" {
            let s = LogitStats.PerSample(small ())
            Expect.equal (s |> Array.map (fun x -> x.Index, x.Label)) [| 0, 0; 1, 0; 2, 2 |] "index and label"
            for x in s do close x.Mean 2.0 "mean"
            close s[0].Std 1.0 "std of [1 2 3] divides by K − 1"
            close s[2].Std (sqrt 12.0) "std of [0 0 6]"
            Expect.equal (s |> Array.map (fun x -> x.Range)) [| 2.0; 2.0; 6.0 |] "max − min"
        }

        test "z-score is (x − mean) / (1e-7 + unbiased std), as the core computes it" {
            let z = LogitStats.ZScore(small ())
            let d0 = 1.0 + 1e-7
            [ -1.0 / d0; 0.0; 1.0 / d0 ] |> List.iteri (fun j e -> close z[0, j] e $"row 0, class {j}")
            let d2 = 1e-7 + sqrt 12.0
            [ -2.0 / d2; -2.0 / d2; 4.0 / d2 ] |> List.iteri (fun j e -> close z[2, j] e $"row 2, class {j}")
            Expect.equal (z.Label 2) 2 "labels kept"
        }

        test "z-scored rows have zero mean and unit std; a constant row becomes zeros" {
            let m = LogitMatrix(array2D [ [ 10.0; -3.0; 7.5; 0.25 ]; [ 4.0; 4.0; 4.0; 4.0 ] ], [| 1; 3 |])
            let s = LogitStats.PerSample(LogitStats.ZScore m)
            close s[0].Mean 0.0 "zero mean"
            Expect.floatClose { absolute = 1e-6; relative = 1e-6 } s[0].Std 1.0 "unit std up to the 1e-7 eps"
            Expect.equal (LogitStats.ZScore(m).Row 1) [| 0.0; 0.0; 0.0; 0.0 |] "constant row"
        }

        test "class-mean gap is |M_s − M_t| with the diagonal zeroed" {
            let s = array2D [ [ 5.0; 1.0 ]; [ -2.0; 3.0 ] ]
            let t = array2D [ [ 1.0; 3.5 ]; [ 0.5; 9.0 ] ]
            Expect.equal (LogitStats.ClassMeanGap(s, t)) (array2D [ [ 0.0; 2.5 ]; [ 2.5; 0.0 ] ]) "gap"
            let struct (mean, max) = ClassMeanGapFigure.Summary(LogitStats.ClassMeanGap(s, t))
            close mean 1.25 "mean over all K² entries"
            close max 2.5 "max"
        }

        test "from tensors: float32 logits and int64 labels" {
            use logits = torch.tensor([| 1.0f; 2.0f; 3.0f; 4.0f; 6.0f; 5.0f |]).reshape(2L, 3L)
            use labels = torch.tensor([| 2L; 0L |])
            let m = LogitMatrix.FromTensors(logits, labels)
            Expect.equal (m.Samples, m.Classes) (2, 3) "shape"
            Expect.equal (m.Row 1) [| 4.0; 6.0; 5.0 |] "row 1"
            Expect.equal (m.Label 0) 2 "label 0"
        }

        test "bad matrices are refused: labels out of range, one class, non-finite logits" {
            Expect.throwsT<ArgumentException> (fun () -> LogitMatrix(array2D [ [ 1.0; 2.0 ] ], [| 2 |]) |> ignore) "label 2 with K = 2"
            Expect.throwsT<ArgumentException> (fun () -> LogitMatrix(array2D [ [ 1.0 ] ], [| 0 |]) |> ignore) "K = 1"
            Expect.throwsT<ArgumentException> (fun () -> LogitMatrix(array2D [ [ 1.0; nan ] ], [| 0 |]) |> ignore) "NaN"
        }

        test "WriteClassMeans and WriteSampleStats write the documented files" {
            use dir = new TempDir()
            let means = dir.Sub "analysis/student_class_means.csv"
            let stats = dir.Sub "analysis/student_sample_stats.csv"
            LogitStats.WriteClassMeans(means, small ())
            LogitStats.WriteSampleStats(stats, small ())
            Expect.equal (File.ReadAllLines means)
                [| "logit_0,logit_1,logit_2"; "2,1.5,2.5"; "NaN,NaN,NaN"; "0,0,6" |] "class means: K rows × K columns"
            let lines = File.ReadAllLines stats
            Expect.equal lines[0] "index,label,mean,std,range" "header"
            Expect.equal lines[1] "0,0,2,1,2" "image 0"
            Expect.equal lines[3] (sprintf "2,2,2,%s,6" ((sqrt 12.0).ToString("R", Globalization.CultureInfo.InvariantCulture))) "image 2"
            Expect.isEmpty (Directory.GetFiles(dir.Sub "analysis", "*.tmp")) "no temporary file left"
        }
    ]
