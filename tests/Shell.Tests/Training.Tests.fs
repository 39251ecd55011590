/// The training engine end to end on a tiny generated dataset in the real Fashion-MNIST format:
/// training, distillation with each method, exact resume after an interruption, and every bad input
/// rejected before any training.
module LogitStd.Shell.Tests.TrainingTests

open System.IO
open Expecto
open LogitStd.Core
open LogitStd.Shell.Training
open LogitStd.Shell.Cli
open LogitStd.Shell.Runs
open LogitStd.Shell.Tests.TestFiles

let baseOptions (dataDir: string) (out: string) distill : TrainCli.TrainOptions =
    { Distill = distill; Config = None; Dataset = Some Domain.Fashion_Mnist; DataDir = Some dataDir; Model = Some "fmnist_small_cnn"
      Teacher = None; TeacherModel = None; Method = None; LogitStand = false; BaseTemp = None; KdWeight = None
      Epochs = Some 2; BatchSize = Some 32; Lr = Some 0.05; Seed = Some 1; TrainSubset = None; Name = None
      Threads = Some 1; Device = DeviceChoice.Cpu; Out = Some out; Resume = None; TeacherCache = None; ChannelsLast = false }

let run (o: TrainCli.TrainOptions) = runCommand (fun out err -> TrainCommand.Run(o, out, err))

/// Metrics rows without the last column (epoch time).
let metricsWithoutTime (runDir: string) =
    File.ReadAllLines(Path.Combine(runDir, "metrics.csv"))
    |> Array.map (fun l -> l.Substring(0, l.LastIndexOf ','))

let tests =
    testSequenced <| testList "training" [
        let dir = new TempDir()
        let data = dir.File "data"
        writeTinyFashionMnist data 320 100 5
        let teacherRun = dir.File "teacher"
        // The teacher run, trained by whichever test needs it first: no test depends on another's order.
        let teacher =
            lazy
                (let code, out, err = run (baseOptions data teacherRun false)
                 if code <> 0 then failwithf "the teacher run failed: %s%s" out err
                 Path.Combine(teacherRun, "checkpoints/best.ckpt"))

        yield testCase "train writes the run folder: metrics, checkpoints, summary, logits" <| fun () ->
            teacher.Force() |> ignore
            for f in [ "experiment.yaml"; "metrics.csv"; "metrics.jsonl"; "summary.json"; "checkpoints/latest.ckpt"; "checkpoints/best.ckpt"; "analysis/student_test_logits.csv" ] do
                Expect.isTrue (File.Exists(Path.Combine(teacherRun, f))) f
            Expect.isNonEmpty (Directory.GetFiles(Path.Combine(teacherRun, "events"))) "TensorBoard events"
            let rows = metricsWithoutTime teacherRun
            Expect.equal rows.Length 3 "header + 2 epochs"
            Expect.stringStarts rows.[0] "epoch,lr,loss_total,loss_ce,train_top1,test_top1" "columns"
            let logits = File.ReadAllLines(Path.Combine(teacherRun, "analysis/student_test_logits.csv"))
            Expect.equal logits.Length 101 "one row per test image"
            Expect.equal (logits.[1].Split(',').Length) 11 "label + 10 logits"

        yield testCase "the same seed gives the same metrics to the last digit" <| fun () ->
            teacher.Force() |> ignore
            let again = dir.File "teacher-again"
            let code, out, err = run (baseOptions data again false)
            Expect.equal code 0 (out + err)
            Expect.equal (metricsWithoutTime again) (metricsWithoutTime teacherRun) "identical"

        // Each method's objective, as its run folder must show it: the term columns and the summary.
        let terms =
            dict [ Domain.Method.Kd, [ "ce"; "kd" ]; Domain.Method.Dkd, [ "ce"; "dkd" ]; Domain.Method.Mlkd, [ "ce"; "kd"; "cc"; "bc" ]; Domain.Method.Ctkd, [ "ce"; "kd" ]
                   Domain.Method.Dist, [ "ce"; "dist" ]; Domain.Method.Nkd, [ "ce"; "nkd" ]; Domain.Method.Wttm, [ "ce"; "wttm" ]; Domain.Method.Rld, [ "ce"; "rld" ] ]
        for m in LogitStd.Core.Methods.all do
            for ls in [ false; true ] do
                yield testCase (sprintf "distill --method %A%s trains that objective" m (if ls then " --logit-stand" else "")) <| fun () ->
                    let out = dir.File(sprintf "d-%A-%b" m ls)
                    let o = { baseOptions data out true with Model = Some "fmnist_mlp"; Teacher = Some(teacher.Force()); Method = Some m; LogitStand = ls; Epochs = Some 1 }
                    let code, stdout, err = run o
                    Expect.equal code 0 (stdout + err)
                    Expect.isTrue (File.Exists(Path.Combine(out, "analysis/teacher_test_logits.csv"))) "teacher logits"
                    let summary = RunSummary.Read(Path.Combine(out, "summary.json"))
                    let methodName = LogitStd.Core.Methods.name m
                    Expect.equal summary.Method methodName "the method"
                    Expect.equal summary.Standardize ls "the standardization switch"
                    Expect.equal (summary.Objective.Contains "zscore") ls (sprintf "the formula %s" summary.Objective)
                    Expect.equal summary.Teacher (Some "fmnist_small_cnn" |> Option.toObj) "the teacher"
                    let rows = EpochMetricsReader.Read(Path.Combine(out, "metrics.csv"))
                    Expect.equal (rows.[0].Terms |> Seq.map (fun kv -> kv.Key) |> List.ofSeq) terms.[m] "one column per term"
                    Expect.all rows.[0].Terms (fun kv -> System.Double.IsFinite kv.Value && kv.Value >= 0.0) "finite, non-negative terms"
                    Expect.equal rows.[0].CtkdTemperature.HasValue (m = Domain.Method.Ctkd) "CTKD logs its learned temperature"
                    Expect.isTrue (abs (rows.[0].LossTotal - (rows.[0].Terms |> Seq.sumBy (fun kv -> kv.Value))) < 1e-4 * abs rows.[0].LossTotal) "the total is the sum of the terms"

        // The teacher cache serves every newer method: a run that reads the teacher's logits from the cache
        // is the online run to the last digit (DIST's batch coupling included: the batches are the same).
        for m in [ Domain.Method.Dist; Domain.Method.Nkd; Domain.Method.Wttm; Domain.Method.Rld ] do
            yield testCase (sprintf "distill --method %s --logit-stand with the teacher cache equals the online run" (LogitStd.Core.Methods.name m)) <| fun () ->
                let name = LogitStd.Core.Methods.name m
                let o out cache =
                    { baseOptions data out true with
                        Model = Some "fmnist_mlp"; Teacher = Some(teacher.Force()); Method = Some m; LogitStand = true; Epochs = Some 2; Lr = Some 0.01
                        TeacherCache = cache }
                let online, cached = dir.File(sprintf "online-%s" name), dir.File(sprintf "cached-%s" name)
                let code, a, b = run (o online None)
                Expect.equal code 0 (a + b)
                let code, a, b = run (o cached (Some(dir.File(sprintf "cache-%s" name))))
                Expect.equal code 0 (a + b)
                Expect.stringContains a "teacher cache: " "the run read the cache"
                Expect.equal (metricsWithoutTime cached) (metricsWithoutTime online) "every metric, to the last digit"
                let logits r = File.ReadAllText(Path.Combine(r, "analysis/student_test_logits.csv"))
                Expect.equal (logits cached) (logits online) "the student's test logits"

        yield testCase "an interrupted distillation resumes to exactly the uninterrupted metrics" <| fun () ->
            let full, cut = dir.File "full", dir.File "cut"
            let o out = { baseOptions data out true with Teacher = Some(teacher.Force()); Method = Some Domain.Method.Dkd; LogitStand = true; Epochs = Some 3 }
            let code, a, b = run (o full)
            Expect.equal code 0 (a + b)
            let mutable steps = 0
            // 320 images / 32 = 10 steps per epoch: stop in the middle of epoch 2.
            let code, _, err = runCommand (fun out err -> TrainCommand.Run(o cut, out, err, fun () -> steps <- steps + 1; steps > 15))
            Expect.equal code 130 "interrupted"
            Expect.stringContains err "--resume" "says how to continue"
            Expect.equal (metricsWithoutTime cut).Length 2 "one finished epoch"
            let code, a, b = run { baseOptions data "" true with Out = None; Resume = Some cut; Dataset = None; DataDir = None; Model = None; Epochs = None; BatchSize = None; Lr = None; Seed = None }
            Expect.equal code 0 (a + b)
            Expect.equal (metricsWithoutTime cut) (metricsWithoutTime full) "same metrics as the uninterrupted run"

        yield testCase "--channels-last: the run records it, repeats to the last digit, resumes exactly, and tracks the default layout's metrics" <| fun () ->
            let o out = { baseOptions data out true with Teacher = Some(teacher.Force()); Method = Some Domain.Method.Kd; LogitStand = true; Epochs = Some 2; ChannelsLast = true }
            let full, again, cut, plain = dir.File "cl-full", dir.File "cl-again", dir.File "cl-cut", dir.File "cl-plain"
            for r in [ full; again ] do
                let code, a, b = run (o r)
                Expect.equal code 0 (a + b)
            Expect.stringContains (File.ReadAllText(Path.Combine(full, "experiment.yaml"))) "channels_last: true" "experiment.yaml records it"
            Expect.equal (metricsWithoutTime again) (metricsWithoutTime full) "the same run twice: identical"
            let mutable steps = 0
            let code, _, _ = runCommand (fun out err -> TrainCommand.Run(o cut, out, err, fun () -> steps <- steps + 1; steps > 15))
            Expect.equal code 130 "interrupted"
            let code, a, b = run { baseOptions data "" true with Out = None; Resume = Some cut; Dataset = None; DataDir = None; Model = None; Epochs = None; BatchSize = None; Lr = None; Seed = None }
            Expect.equal code 0 (a + b)
            Expect.equal (metricsWithoutTime cut) (metricsWithoutTime full) "resumed: same metrics as the uninterrupted run"
            let code, a, b = run { o plain with ChannelsLast = false }
            Expect.equal code 0 (a + b)
            let loss r = (EpochMetricsReader.Read(Path.Combine(r, "metrics.csv"))).[0].LossTotal
            Expect.floatClose { absolute = 0.0; relative = 1e-3 } (loss full) (loss plain) "first epoch's mean loss: the default layout's to rounding"

        yield testCase "CIFAR-100: distil resnet8 from an mdistiller-format wrn_16_2 with DKD+LS, end to end" <| fun () ->
            // A small folder in the real CIFAR-100 binary format, and a teacher file in mdistiller's layout
            // ({"model": state_dict} in PyTorch's zip format, as torch.save writes it).
            let cifar = dir.File "cifar"
            Directory.CreateDirectory cifar |> ignore
            let rng = System.Random(3)
            for name, n in [ "train.bin", 128; "test.bin", 64 ] do
                let bytes = Array.init (n * 3074) (fun j -> if j % 3074 = 1 then byte ((j / 3074) % 100) elif j % 3074 = 0 then byte ((j / 3074) % 20) else byte (rng.Next 256))
                File.WriteAllBytes(Path.Combine(cifar, name), bytes)
            let teacherFile = dir.File "wrn_16_2.pth"
            use teacher = LogitStd.Shell.Models.ModelZoo.Create("wrn_16_2", 100)
            LogitStd.Shell.Persistence.Checkpoints.SavePyTorch(teacher, teacherFile, nestUnderModel = true)
            let out = dir.File "cifar-run"
            let o = { baseOptions cifar out true with
                        Dataset = Some Domain.Cifar100; Model = Some "resnet8"; Teacher = Some teacherFile; TeacherModel = Some "wrn_16_2"
                        Method = Some Domain.Method.Dkd; LogitStand = true; Epochs = Some 2 }
            let code, stdout, err = run o
            Expect.equal code 0 (stdout + err)
            Expect.equal (metricsWithoutTime out).Length 3 "two epochs"
            Expect.equal ((File.ReadAllLines(Path.Combine(out, "analysis/teacher_test_logits.csv"))).[1].Split(',').Length) 101 "label + 100 logits"

        yield testList "bad input, before any training" [
            let expectError (o: TrainCli.TrainOptions) (code: int) (text: string) =
                let c, out, err = run o
                Expect.equal c code (out + err)
                Expect.stringContains err text "message"
                match o.Out with
                | Some d when d <> "" && d <> teacherRun -> Expect.isFalse (File.Exists(Path.Combine(d, "checkpoints/latest.ckpt"))) "no training happened"
                | _ -> ()
            let ckpt () = teacher.Force()
            testCase "unknown model" <| fun () -> expectError { baseOptions data (dir.File "x1") false with Model = Some "resnet9000" } 2 "unknown model 'resnet9000'"
            testCase "missing teacher file" <| fun () ->
                expectError { baseOptions data (dir.File "x2") true with Teacher = Some(dir.File "none.ckpt"); TeacherModel = Some "fmnist_wide_cnn"; Method = Some Domain.Method.Kd } 1 "none.ckpt not found"
            testCase "a method without a teacher" <| fun () -> expectError { baseOptions data (dir.File "x3") true with Method = Some Domain.Method.Kd } 2 "models.teacher"
            testCase "a teacher of the wrong architecture" <| fun () ->
                expectError { baseOptions data (dir.File "x4") true with Teacher = Some(ckpt ()); TeacherModel = Some "fmnist_wide_cnn"; Method = Some Domain.Method.Kd } 1 "does not fit model 'fmnist_wide_cnn'"
            testCase "a CIFAR model on Fashion-MNIST images" <| fun () -> expectError { baseOptions data (dir.File "x5") false with Model = Some "resnet8" } 2 "3-channel"
            testCase "a non-empty output folder without --resume" <| fun () ->
                teacher.Force() |> ignore
                expectError (baseOptions data teacherRun false) 2 "is not empty"
            testCase "an unwritable output folder" <| fun () ->
                let blocker = dir.File "file-not-folder"
                File.WriteAllText(blocker, "")
                expectError (baseOptions data (Path.Combine(blocker, "run")) false) 2 "cannot write"
            testCase "a missing dataset names the files to put where" <| fun () ->
                expectError { baseOptions (dir.File "nodata") (dir.File "x6") false with DataDir = Some(dir.File "nodata") } 1 "train-images-idx3-ubyte.gz"
            testCase "a diverging run stops naming the epoch and step" <| fun () ->
                expectError { baseOptions data (dir.File "x7") false with Lr = Some 1e6; Epochs = Some 1 } 1 "not finite at epoch 1, step"
            testCase "--resume of a folder that is not a run" <| fun () ->
                expectError { baseOptions data "" false with Out = None; Resume = Some data; Dataset = None; DataDir = None; Model = None; Epochs = None; BatchSize = None; Lr = None; Seed = None } 2 "experiment.yaml"
        ]
    ]
