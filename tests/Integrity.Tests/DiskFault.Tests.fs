/// Faults of the machine are errors too: a full disk or a read-only folder during the writes of a
/// run (run settings, experiment, metrics, checkpoints, summary, analysis) or of a figure ends in a
/// clear error naming the path, exit 1, with every earlier file intact — and once space is back the
/// run resumes to exactly the uninterrupted run. Needs root (it mounts a small tmpfs); skipped
/// visibly otherwise.
module LogitStd.Integrity.Tests.DiskFaultTests

open System
open System.Diagnostics
open System.IO
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Integrity.Tests.Program

let private sh (file: string) (args: string list) =
    let psi = ProcessStartInfo(file, RedirectStandardOutput = true, RedirectStandardError = true)
    for a in args do psi.ArgumentList.Add a
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out

let private isRoot () = (try fst (sh "id" [ "-u" ]) = 0 && (snd (sh "id" [ "-u" ])).Trim() = "0" with _ -> false)

/// Mounts a tmpfs of `sizeKiB` at a fresh folder for the duration of `f`.
let private withTmpfs (parent: TempDir) (name: string) (sizeKiB: int) (f: string -> unit) =
    let mountPoint = parent.File name
    Directory.CreateDirectory mountPoint |> ignore
    let code, out = sh "mount" [ "-t"; "tmpfs"; "-o"; sprintf "size=%dk" sizeKiB; "tmpfs"; mountPoint ]
    if code <> 0 then failwithf "mount tmpfs: %s" out
    try f mountPoint
    finally sh "umount" [ "-l"; mountPoint ] |> ignore

/// Leaves about `freeBytes` free on the file system of `dir` with a filler file.
let private fill (dir: string) (freeBytes: int64) =
    let available = DriveInfo(dir).AvailableFreeSpace
    let filler = Path.Combine(dir, "filler")
    use f = File.Create filler
    f.SetLength(0L)
    let chunk = Array.create (1 <<< 16) 1uy
    let mutable left = max 0L (available - freeBytes)
    while left > 0L do
        let n = int (min left (int64 chunk.Length))
        f.Write(chunk, 0, n)
        left <- left - int64 n
    filler

let tests =
    let dir = new TempDir()
    let data = realFashionSubset (dir.File "fashion-mnist") 256 128
    let trainArgs out =
        [ "train"; "--model"; "fmnist_small_cnn"; "--dataset"; "fashion-mnist"; "--data-dir"; data.Value
          "--epochs"; "3"; "--batch-size"; "32"; "--lr"; "0.01"; "--threads"; "1"; "--seed"; "5"; "--out"; out ]
    let needs () =
        if data.IsNone then skiptest "./data/fashion-mnist is absent: run `dotnet cake --target=Data`"
        if not (isRoot ()) then skiptest "needs root to mount a small tmpfs (CI runs as root)"
    testSequenced <| testList "faults of the machine" [
        testCase "a full disk at any write of a run: exit 1 naming the file, earlier files intact, then an exact resume" <| fun () ->
            needs ()
            let reference = dir.File "reference"
            let full = run [] None (trainArgs reference)
            Expect.equal full.Code 0 (full.Out + full.Err)
            let mutable failures = 0
            // From no room for the first file to room for one checkpoint but not the next.
            for free in [ 0L; 60_000L; 250_000L; 500_000L; 800_000L ] do
                withTmpfs dir (sprintf "full-%d" free) 4096 <| fun disk ->
                    let filler = fill disk free
                    let out = Path.Combine(disk, "run")
                    let o = run [] None (trainArgs out)
                    if o.Code <> 0 then
                        failures <- failures + 1
                        Expect.equal o.Code 1 (sprintf "free %d: exit 1 for a full disk: %s" free o.Err)
                        Expect.stringContains o.Err (sprintf "cannot write %s/" out) (sprintf "free %d: the message names the file" free)
                        Expect.stringContains o.Err "No space left on device" "and the cause"
                        Expect.isFalse (o.Err.Contains "internal error") "not a defect"
                        Expect.isEmpty (Directory.GetFiles(disk, "*.tmp", SearchOption.AllDirectories)) "no temporary file left"
                        let latest = Path.Combine(out, "checkpoints/latest.ckpt")
                        if File.Exists latest then
                            let e = run [] None [ "eval"; "--model"; "fmnist_small_cnn"; "--weights"; latest; "--dataset"; "fashion-mnist"; "--data-dir"; data.Value; "--threads"; "1" ]
                            Expect.equal e.Code 0 (sprintf "free %d: the last checkpoint survives and loads: %s" free e.Err)
                        File.Delete filler
                        let again =
                            if File.Exists(Path.Combine(out, "experiment.yaml")) then run [] None [ "train"; "--resume"; out ]
                            else run [] None (trainArgs out)
                        Expect.equal again.Code 0 (sprintf "free %d: the run continues once space is back: %s" free again.Err)
                    Expect.equal (metricsWithoutTime out) (metricsWithoutTime reference) (sprintf "free %d: the same metrics as the uninterrupted run" free)
            Expect.isGreaterThanOrEqual failures 4 "the disk filled up in most settings"

        testCase "a read-only folder for a figure or a table: exit 1 naming the file" <| fun () ->
            needs ()
            let reference = dir.File "reference-ro"
            let full = run [] None (trainArgs reference)
            Expect.equal full.Code 0 (full.Out + full.Err)
            withTmpfs dir "readonly" 1024 <| fun disk ->
                let code, out = sh "mount" [ "-o"; "remount,ro"; disk ]
                Expect.equal code 0 out
                let figure = Path.Combine(disk, "curves.png")
                let p = run [] None [ "plot"; "curves"; "--runs"; reference; "--out"; figure ]
                Expect.equal p.Code 1 p.Err
                Expect.stringContains p.Err (sprintf "cannot write %s" figure) "names the figure"
                let table = Path.Combine(disk, "results.md")
                let r = run [] None [ "results"; reference; "--markdown"; table ]
                Expect.equal r.Code 1 r.Err
                Expect.stringContains r.Err (sprintf "cannot write %s" table) "names the table"
    ]
