/// Synthetic run folders in the format of docs/run-folder.md, written to temporary folders. The
/// numbers are made up (seeded, so every run of the tests sees the same files); the format is real.
module LogitStd.Plots.Tests.Synthetic

open System
open System.Globalization
open System.IO
open System.Text

let private num (x: float) = x.ToString("R", CultureInfo.InvariantCulture)

/// What goes into one run's summary.json.
type Run =
    { Name: string
      Method: string
      Standardize: bool
      Seed: int
      Teacher: string option
      BestTop1: float
      Finished: bool
      Classes: int
      Student: string
      Objective: string }

let run name methodName standardize seed =
    { Name = name; Method = methodName; Standardize = standardize; Seed = seed
      Teacher = (if methodName = "none" then None else Some "wrn_40_2")
      BestTop1 = 85.0; Finished = true; Classes = 10; Student = "cnn_small"; Objective = "0.1·CE + 9·KD(τ=2, zscore)" }

let summaryJson (r: Run) =
    let teacher = match r.Teacher with Some t -> sprintf "\"%s\"" t | None -> "null"
    String.concat "\n"
        [ "{"
          sprintf "  \"name\": \"%s\"," r.Name
          sprintf "  \"dataset\": \"%s\"," (if r.Classes = 10 then "fashion-mnist" else "cifar100")
          sprintf "  \"classes\": %d," r.Classes
          sprintf "  \"student\": \"%s\"," r.Student
          sprintf "  \"teacher\": %s," teacher
          sprintf "  \"method\": \"%s\"," r.Method
          sprintf "  \"standardize\": %s," (if r.Standardize then "true" else "false")
          sprintf "  \"seed\": %d," r.Seed
          "  \"epochs\": 10,"
          sprintf "  \"objective\": \"%s\"," r.Objective
          sprintf "  \"best_top1\": %s," (num r.BestTop1)
          "  \"best_epoch\": 9,"
          sprintf "  \"final_top1\": %s," (num (r.BestTop1 - 0.1))
          "  \"final_top5\": 99.5,"
          sprintf "  \"finished\": %s" (if r.Finished then "true" else "false")
          "}" ]

/// metrics.csv with KD's loss terms: top-1 rising towards `top1`, loss falling; the test loss × `lossScale`.
let scaledMetricsCsv (epochs: int) (top1: float) (lossScale: float) =
    // The loss depends on the final accuracy too, so that different runs draw different curves.
    let floor = 0.3 + (90.0 - top1) / 20.0
    let sb = StringBuilder("epoch,lr,loss_total,loss_ce,loss_kd,train_top1,test_top1,test_top5,test_loss,ctkd_temperature,epoch_seconds\n")
    for e in 1 .. epochs do
        let progress = 1.0 - exp (-0.5 * float e)
        let acc = top1 * progress
        let loss = floor + 2.0 * (1.0 - progress)
        sb.Append(sprintf "%d,0.05,%s,%s,%s,%s,%s,99.0,%s,,12.5\n" e (num loss) (num (loss * 0.1)) (num (loss * 0.9)) (num (acc + 2.0)) (num acc) (num (lossScale * loss))) |> ignore
    sb.ToString()

/// metrics.csv with KD's loss terms: top-1 rising towards `top1`, loss falling.
let metricsCsv (epochs: int) (top1: float) = scaledMetricsCsv epochs top1 1.0

/// A logits CSV: header label,logit_0..logit_{K-1}, one row per (label, logits).
let logitsCsv (rows: (int * float[]) seq) =
    let rows = Array.ofSeq rows
    let k = (snd rows[0]).Length
    let sb = StringBuilder("label," + String.Join(",", [ for j in 0 .. k - 1 -> sprintf "logit_%d" j ]) + "\n")
    for (label, logits) in rows do
        sb.Append(string label).Append(',').Append(String.Join(",", logits |> Array.map num)).Append('\n') |> ignore
    sb.ToString()

/// Test logits like a real test set's: `n` images of `k` classes, the true class's logit raised
/// by `margin`, everything scaled by `scale` and shifted by `shift` (a small LS student has a small
/// scale, as in the paper's Figure 5). Seeded: the same arguments give the same logits.
let logits (k: int) (seed: int) (n: int) (scale: float) (shift: float) (margin: float) =
    let rng = Random(seed)
    let gauss () = sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * Math.PI * rng.NextDouble())
    [ for i in 0 .. n - 1 ->
        let label = i % k
        let row = Array.init k (fun j -> scale * (gauss () + (if j = label then margin else 0.0)) + shift + 0.3 * gauss ())
        label, row ]

let write (path: string) (text: string) =
    Directory.CreateDirectory(Path.GetDirectoryName path) |> ignore
    File.WriteAllText(path, text)

/// A complete run folder: summary, metrics and the student's (and, with a teacher, the teacher's)
/// test logits. Returns its path.
let runFolder (root: string) (r: Run) (studentScale: float) =
    let dir = Path.Combine(root, r.Name)
    write (Path.Combine(dir, "summary.json")) (summaryJson r)
    write (Path.Combine(dir, "metrics.csv")) (metricsCsv 10 r.BestTop1)
    write (Path.Combine(dir, "analysis", "student_test_logits.csv")) (logitsCsv (logits r.Classes (100 + r.Seed) 300 studentScale 0.5 3.0))
    if r.Teacher.IsSome then
        write (Path.Combine(dir, "analysis", "teacher_test_logits.csv")) (logitsCsv (logits r.Classes 7 300 2.0 0.0 3.0))
    dir

/// A teacher-sized KD student, a KD+LS student with a tiny raw scale, and a no-KD baseline.
let study (root: string) =
    [ runFolder root { run "kd" "kd" false 1 with BestTop1 = 85.5 } 1.2
      runFolder root { run "kd-ls" "kd" true 1 with BestTop1 = 86.2 } 0.15
      runFolder root { run "ce" "none" false 1 with BestTop1 = 84.0 } 1.0 ]

/// A study of two students in ROOT/STUDENT/ARM/seedS: each alone, KD (T=4) and KD+LS (τ=2) over
/// seeds 1..3, DKD+LS over seeds 1..3 for the CNN, and a KD+LS τ=1 arm of one seed (no interval).
let twoStudentStudy (root: string) =
    let objectives =
        [ "alone", "none", false, "1·CE", 0.0
          "kd", "kd", false, "0.1·CE + 0.9·KD(T=4, raw)", 0.6
          "kd_ls", "kd", true, "0.1·CE + 9·KD(τ=2, zscore)", 1.1
          "kd_ls_tau1", "kd", true, "0.1·CE + 9·KD(τ=1, zscore)", -0.4
          "dkd_ls", "dkd", true, "1·CE + min(epoch/20, 1)·DKD(α=1, β=8, τ=2, zscore)", 1.5 ]
    [ for student, top1 in [ "fmnist_small_cnn", 88.0; "fmnist_mlp", 85.0 ] do
        for tag, methodName, ls, objective, gain in objectives do
            let seeds = if tag = "kd_ls_tau1" then [ 2 ] elif tag = "dkd_ls" && student = "fmnist_mlp" then [] else [ 1; 2; 3 ]
            for seed in seeds do
                let r = { run $"seed{seed}" methodName ls seed with
                            Student = student; Objective = objective; BestTop1 = top1 + gain + 0.1 * float ((seed * (tag.Length + 3)) % 7) }
                yield runFolder (Path.Combine(root, student, tag)) r 1.0 ]

/// metrics.csv of an MLKD run as the trainer writes it since `logit_std`: the four weighted terms
/// (CE and MLKD's instance, class and batch levels), the raw-logit std and, `withGradients`, each term's
/// gradient norm. `scale` sets the logits' std (a +LS student's grows large).
let levelsMetricsCsv (epochs: int) (scale: float) (withGradients: bool) =
    let terms = [ "ce"; "mlkd_instance"; "mlkd_class"; "mlkd_batch" ]
    let header =
        [ "epoch"; "lr"; "loss_total" ] @ (terms |> List.map ((+) "loss_")) @ [ "train_top1"; "test_top1"; "test_top5"; "test_loss"; "ctkd_temperature"; "logit_std" ]
        @ (if withGradients then terms |> List.map ((+) "grad_") else []) @ [ "epoch_seconds" ]
    let sb = StringBuilder(String.Join(",", header) + "\n")
    for e in 1 .. epochs do
        let decay = exp (-0.3 * float e)
        let losses = terms |> List.mapi (fun j _ -> (0.2 + 2.0 * decay) * 10.0 ** float (j - 1) * (1.0 + 0.02 * scale * float j))
        let gradients = terms |> List.mapi (fun j _ -> 0.05 * (1.0 + decay) * 3.0 ** float j / (1.0 + 0.01 * scale * float (3 - j)))
        let row =
            [ string e; "0.05"; num (List.sum losses) ] @ (losses |> List.map num) @ [ "80"; "78"; "99"; num (0.5 + decay); ""; num (scale * (1.0 + 0.1 * float e)) ]
            @ (if withGradients then gradients |> List.map num else []) @ [ "12.5" ]
        sb.Append(String.Join(",", row)).Append('\n') |> ignore
    sb.ToString()

/// Two MLKD runs (raw, and +LS with a growing logit scale) that logged their gradient norms, and one
/// that did not.
let levelsRuns (root: string) =
    [ for name, ls, scale, grads in [ "mlkd", false, 2.0, true; "mlkd-ls", true, 40.0, true; "mlkd-nograd", false, 3.0, false ] ->
        let dir = runFolder root (run name "mlkd" ls 1) 1.0
        write (Path.Combine(dir, "metrics.csv")) (levelsMetricsCsv 12 scale grads)
        dir ]
