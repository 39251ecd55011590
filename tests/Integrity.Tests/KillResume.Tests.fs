/// Exact resume after `kill -9` at any point: every method with and without LS, into a BatchNorm CNN
/// and an MLP, each run killed several times — at seeded random times and at seeded named points
/// (during a training step, an evaluation, an atomic write such as a checkpoint's, the analysis) —
/// and resumed until it finishes; every metric column, the summary and the test-set logits must
/// equal the uninterrupted run's.
module LogitStd.Integrity.Tests.KillResumeTests

open System
open System.IO
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Integrity.Tests.Program

let private trainImages, private testImages, private batch, private epochs = 512, 256, 32, 3

/// The arms: (command, method, standardize).
let private arms =
    [ yield "train", None, false
      for m in [ "kd"; "dkd"; "ctkd"; "mlkd" ] do
          for ls in [ false; true ] -> "distill", Some m, ls ]

type private Kill =
    | After of TimeSpan
    | At of point: string * n: int

/// The kinds of kill, cycled through so that every kind is used for every student.
let private kinds = [| "step"; "time"; "write"; "eval"; "analysis"; "write"; "step" |]

let private plan (rng: Random) (index: int) (referenceSeconds: float) : Kill list =
    let stepsTotal = epochs * (trainImages + batch - 1) / batch
    [ for k in 0..2 ->
          match kinds.[(3 * index + k) % kinds.Length] with
          | "time" -> After(TimeSpan.FromSeconds(referenceSeconds * (0.2 + 0.8 * rng.NextDouble())))
          | "step" -> At("step", 1 + rng.Next stepsTotal)
          | "eval" -> At("eval", 1 + rng.Next(epochs + 2))
          | "write" -> At("write", 1 + rng.Next 25)
          | _ -> At("analysis", 1) ]

let private describe kill =
    match kill with
    | After t -> sprintf "kill after %.2f s" t.TotalSeconds
    | At(p, n) -> sprintf "kill at %s #%d" p n

let tests =
    let dir = new TempDir()
    let data = realFashionSubset (dir.File "fashion-mnist") trainImages testImages
    let teacher = dir.File "teacher"
    let teacherReady =
        lazy
            (let o =
                run [] None [ "train"; "--model"; "fmnist_small_cnn"; "--dataset"; "fashion-mnist"; "--data-dir"; data.Value
                              "--epochs"; "1"; "--threads"; "1"; "--seed"; "1"; "--out"; teacher ]
             if o.Code <> 0 then failwithf "teacher training failed: %s%s" o.Out o.Err
             Path.Combine(teacher, "checkpoints/best.ckpt"))
    let args (student: string) (command: string, methodName: string option, ls: bool) (out: string) =
        [ command; "--model"; student; "--dataset"; "fashion-mnist"; "--data-dir"; data.Value
          "--epochs"; string epochs; "--batch-size"; string batch; "--lr"; "0.01"; "--threads"; "1"; "--seed"; "3"
          match methodName with
          | Some m ->
              yield! [ "--teacher"; teacherReady.Force(); "--method"; m ]
              if ls then "--logit-stand"
          | None -> ()
          "--out"; out ]
    let resumeArgs (command: string) (out: string) = [ command; "--resume"; out ]
    testList "kill -9 and resume" [
        for si, student in List.indexed [ "fmnist_small_cnn"; "fmnist_mlp" ] do
            for ai, arm in List.indexed arms do
                let command, m, ls = arm
                let name = sprintf "%s %s%s" student (defaultArg m "alone") (if ls then "+LS" else "")
                let index = si * arms.Length + ai
                yield testCase (sprintf "%s: killed 3 times, resumed, equals the uninterrupted run" name) <| fun () ->
                    if data.IsNone then skiptest "./data/fashion-mnist is absent: run `dotnet cake --target=Data`"
                    let reference, cut = dir.File(sprintf "ref-%d" index), dir.File(sprintf "cut-%d" index)
                    let watch = Diagnostics.Stopwatch.StartNew()
                    let full = run [] None (args student arm reference)
                    Expect.equal full.Code 0 (sprintf "the uninterrupted run: %s%s" full.Out full.Err)
                    let kills = plan (Random(1000 + index)) index watch.Elapsed.TotalSeconds
                    let mutable log = []
                    for kill in kills do
                        // A run killed before it wrote experiment.yaml is started again, as --resume says.
                        let started = File.Exists(Path.Combine(cut, "experiment.yaml"))
                        let a = if started then resumeArgs command cut else args student arm cut
                        let o =
                            match kill with
                            | After t -> run [] (Some t) a
                            | At(p, n) -> run [ "LOGITSTD_KILL_AT", sprintf "%s:%d" p n ] None a
                        log <- log @ [ sprintf "%s → %s" (describe kill) (if o.Killed then "killed" else sprintf "exit %d" o.Code) ]
                        if not o.Killed then Expect.equal o.Code 0 (sprintf "%s: %s%s" (describe kill) o.Out o.Err)
                    let started = File.Exists(Path.Combine(cut, "experiment.yaml"))
                    let last = run [] None (if started then resumeArgs command cut else args student arm cut)
                    let story = String.Join("; ", log)
                    printfn "%s: %s" name story
                    Expect.isGreaterThanOrEqual (log |> List.filter (fun l -> l.EndsWith "killed") |> List.length) 1 (sprintf "at least one kill landed (%s)" story)
                    Expect.equal last.Code 0 (sprintf "the final resume (%s): %s%s" story last.Out last.Err)
                    Expect.equal (metricsWithoutTime cut) (metricsWithoutTime reference) (sprintf "every metric column (%s)" story)
                    Expect.equal (summary cut) (summary reference) (sprintf "summary.json (%s)" story)
                    let logits r = File.ReadAllText(Path.Combine(r, "analysis/student_test_logits.csv"))
                    Expect.equal (logits cut) (logits reference) (sprintf "the test-set logits (%s)" story)
                    Expect.isEmpty (Directory.GetFiles(cut, "*.tmp", SearchOption.AllDirectories)) "no temporary file left behind"
    ]
