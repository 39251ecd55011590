/// A run killed in its first moments — before, while and just after it records itself — resumes with
/// `--resume`, or, where nothing was recorded yet, says exactly which command starts it again; either
/// way the run then ends identical to the uninterrupted run. The test kills the program's own process
/// (not a shell around it), at fixed times after its start and at the atomic writes of its record.
module LogitStd.Integrity.Tests.EarlyKillTests

open System
open System.IO
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Integrity.Tests.Program

type private Kill =
    | After of seconds: float
    /// The n-th atomic write: 1 the marker, 2 run.json, 3 experiment.yaml, 4 the data's identity in the marker.
    | AtWrite of n: int

/// What a user does after the kill: `--resume`, or — where the run says nothing of it was recorded —
/// the command it names. Returns that outcome.
let private continueRun (args: string list) (out: string) =
    let resumed = run [] None [ "distill"; "--resume"; out ]
    if resumed.Code = 0 then resumed, "resumed"
    else
        Expect.equal resumed.Code 2 (sprintf "--resume of a run with nothing recorded is a usage error: %s" resumed.Err)
        Expect.stringContains resumed.Err "start it again with" (sprintf "it says which command starts it again: %s" resumed.Err)
        let marker = "start it again with: logitstd "
        let i = resumed.Err.IndexOf marker
        if i >= 0 then
            // The exact command, as the run recorded it (the test's paths need no quoting).
            let line = resumed.Err.Substring(i + marker.Length).Split('\n').[0].Trim()
            let named = line.Split(' ', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
            Expect.equal (LogitStd.Core.Cli.parse (Array.ofList named)) (LogitStd.Core.Cli.parse (Array.ofList args)) "the command named is exactly the one that started the run (the same options)"
            run [] None named, "started again with the command it named"
        else
            Expect.stringContains resumed.Err (sprintf "--out %s" out) "it names the --out to give again"
            run [] None args, "started again with its own command"

let tests =
    let dir = new TempDir()
    let data = dir.File "data"
    LogitStd.Tests.TinyData.writeTinyFashionMnist data 256 64 5
    let teacher =
        lazy
            (let out = dir.File "teacher"
             let o = run [] None [ "train"; "--model"; "fmnist_small_cnn"; "--dataset"; "fashion-mnist"; "--data-dir"; data
                                   "--epochs"; "1"; "--threads"; "1"; "--seed"; "1"; "--out"; out ]
             if o.Code <> 0 then failwithf "teacher training failed: %s%s" o.Out o.Err
             Path.Combine(out, "checkpoints/best.ckpt"))
    let args (out: string) =
        [ "distill"; "--model"; "fmnist_mlp"; "--dataset"; "fashion-mnist"; "--data-dir"; data; "--teacher"; teacher.Force()
          "--method"; "kd"; "--logit-stand"; "--epochs"; "2"; "--batch-size"; "32"; "--lr"; "0.01"; "--threads"; "1"; "--seed"; "3"; "--out"; out ]
    let reference = lazy (let out = dir.File "reference" in let o = run [] None (args out) in (if o.Code <> 0 then failwithf "reference: %s" o.Err); out)
    testSequenced <| testList "a run killed in its first second" [
        for kill in [ After 0.5; After 1.0; After 1.5; After 2.5; AtWrite 1; AtWrite 2; AtWrite 3; AtWrite 4 ] do
            let name = match kill with After s -> sprintf "kill -9 %.1f s after the start" s | AtWrite n -> sprintf "kill -9 in atomic write #%d" n
            yield testCase (name + ": --resume (or the command it names) ends identical to the uninterrupted run") <| fun () ->
                let out = dir.File(sprintf "cut-%A" kill |> fun s -> s.Replace(' ', '-'))
                let a = args out
                let first =
                    match kill with
                    | After s -> run [] (Some(TimeSpan.FromSeconds s)) a
                    | AtWrite n -> run [ "LOGITSTD_KILL_AT", sprintf "write:%d" n ] None a
                let last, how =
                    if first.Killed then continueRun a out
                    else
                        Expect.equal first.Code 0 (sprintf "not killed: it finished: %s" first.Err)
                        first, "finished before the kill"
                printfn "%s: %s" name how
                Expect.equal last.Code 0 (sprintf "%s: %s%s" how last.Out last.Err)
                Expect.equal (metricsWithoutTime out) (metricsWithoutTime reference.Value) (sprintf "every metric column (%s)" how)
                Expect.equal (summary out) (summary reference.Value) (sprintf "summary.json (%s)" how)
                Expect.isEmpty (Directory.GetFiles(out, "*.tmp", SearchOption.AllDirectories)) "no temporary file left behind"
    ]
