/// The `logitstd` program run as a separate process — the way a user (or a scheduler that kills it)
/// runs it — and a small real-data folder for it to train on.
module LogitStd.Integrity.Tests.Program

open System
open System.Diagnostics
open System.IO
open System.IO.Compression
open LogitStd.Tests.TestPaths

/// How a run of the program ended.
type Outcome =
    { Code: int
      Out: string
      Err: string
      /// Killed (SIGKILL) by the test or by a kill point, rather than exiting by itself.
      Killed: bool }

let private startInfo (env: (string * string) list) (args: string list) =
    let psi = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    psi.ArgumentList.Add logitstdDll
    for a in args do psi.ArgumentList.Add a
    for k, v in env do psi.Environment.[k] <- v
    psi

/// Runs the program to its end (or until `killAfter` has passed, when the process itself is
/// killed, as `kill -9 PID` would). A run that outlives `timeout` fails the test.
let run (env: (string * string) list) (killAfter: TimeSpan option) (args: string list) : Outcome =
    use p = new Process(StartInfo = startInfo env args)
    let out, err = Text.StringBuilder(), Text.StringBuilder()
    p.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then lock out (fun () -> out.AppendLine e.Data |> ignore))
    p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then lock err (fun () -> err.AppendLine e.Data |> ignore))
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    let timeout = TimeSpan.FromMinutes 3.0
    let killedByUs =
        match killAfter with
        | Some delay when not (p.WaitForExit delay) ->
            p.Kill(entireProcessTree = false)
            true
        | _ -> false
    if not (p.WaitForExit timeout) then
        p.Kill()
        failwithf "logitstd %s ran longer than %O" (String.Join(" ", args)) timeout
    p.WaitForExit()
    // 137 = 128 + SIGKILL: a kill point's self-kill is reported by the runtime's host as that code.
    let code = p.ExitCode
    { Code = code; Out = out.ToString(); Err = err.ToString(); Killed = killedByUs || code = 137 || code = -9 }

/// Writes the first `trainCount` training and `testCount` test images of the real Fashion-MNIST
/// (./data/fashion-mnist, fetched by `dotnet cake --target=Data`) to `dir` in the same gzipped IDX
/// format; None when the data is absent.
let realFashionSubset (dir: string) (trainCount: int) (testCount: int) : string option =
    let source = repoFile "data/fashion-mnist"
    let file name = Path.Combine(source, name)
    if not (File.Exists(file "train-images-idx3-ubyte.gz")) then None
    else
        Directory.CreateDirectory dir |> ignore
        let copy (name: string) (header: int) (recordBytes: int) (count: int) =
            use input = new GZipStream(File.OpenRead(file name), CompressionMode.Decompress)
            let bytes = Array.zeroCreate<byte> (header + count * recordBytes)
            input.ReadExactly(bytes, 0, bytes.Length)
            // The count is the big-endian int at offset 4 of both IDX headers.
            bytes.[4] <- byte (count >>> 24); bytes.[5] <- byte (count >>> 16); bytes.[6] <- byte (count >>> 8); bytes.[7] <- byte count
            use output = new GZipStream(File.Create(Path.Combine(dir, name)), CompressionLevel.Fastest)
            output.Write(bytes, 0, bytes.Length)
        copy "train-images-idx3-ubyte.gz" 16 784 trainCount
        copy "train-labels-idx1-ubyte.gz" 8 1 trainCount
        copy "t10k-images-idx3-ubyte.gz" 16 784 testCount
        copy "t10k-labels-idx1-ubyte.gz" 8 1 testCount
        Some dir

/// metrics.csv without its wall-clock column (epoch_seconds): every other column of a resumed run
/// must equal the uninterrupted run's, digit for digit.
let metricsWithoutTime (runDir: string) : string list =
    let lines = File.ReadAllLines(Path.Combine(runDir, "metrics.csv")) |> List.ofArray
    let header = lines.Head.Split ','
    let keep = header |> Array.mapi (fun i h -> i, h) |> Array.filter (fun (_, h) -> h <> "epoch_seconds") |> Array.map fst
    lines |> List.map (fun l -> let cells = l.Split ',' in keep |> Array.map (fun i -> cells.[i]) |> String.concat ",")

/// summary.json without nothing removed: every field is a function of the run's computation.
let summary (runDir: string) = File.ReadAllText(Path.Combine(runDir, "summary.json"))
