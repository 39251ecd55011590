/// A run killed in its first moments — before, while and just after it records itself — resumes with
/// `--resume` (a run stopped between its marker and its experiment.yaml is started again by `--resume`
/// as its marker recorded), or, where nothing was recorded yet, says which command starts it again;
/// either way the run then ends identical to the uninterrupted run. The test kills the program's own process
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

/// What a user does after the kill: `--resume`, which continues the run — or starts it again as its
/// marker recorded, when it was stopped before it wrote experiment.yaml — or, where nothing of the run
/// was recorded yet, says which command starts it again. Returns that outcome and how it went.
let private continueRun (args: string list) (out: string) =
    let resumed = run [] None [ "distill"; "--resume"; out ]
    if resumed.Code = 0 then
        resumed, (if resumed.Out.Contains "starting it as it was started: logitstd distill" then "started again by --resume as its marker recorded" else "resumed")
    else
        Expect.equal resumed.Code 2 (sprintf "--resume of a run with nothing recorded is a usage error: %s" resumed.Err)
        Expect.stringContains resumed.Err (sprintf "start it again with the command that started it (its --out %s)" out) "it says which command starts it again"
        run [] None args, "nothing recorded: started again with its own command"

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
                match kill with
                | AtWrite 1 -> Expect.equal how "nothing recorded: started again with its own command" "killed in the marker's write: nothing is recorded"
                | AtWrite(2 | 3) -> Expect.equal how "started again by --resume as its marker recorded" "killed after the marker, before experiment.yaml: --resume starts the recorded command"
                | AtWrite _ -> Expect.equal how "resumed" "killed after experiment.yaml: --resume continues the run"
                | After _ -> ()
                Expect.equal last.Code 0 (sprintf "%s: %s%s" how last.Out last.Err)
                Expect.equal (metricsWithoutTime out) (metricsWithoutTime reference.Value) (sprintf "every metric column (%s)" how)
                Expect.equal (summary out) (summary reference.Value) (sprintf "summary.json (%s)" how)
                Expect.isEmpty (Directory.GetFiles(out, "*.tmp", SearchOption.AllDirectories)) "no temporary file left behind"
    ]
