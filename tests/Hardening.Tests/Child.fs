/// The program run as users and attackers run it — a separate process — with what issue 22 asks
/// of every hostile input: an exit code of 1 or 2, a message naming the file and the problem, an end
/// within 10 s, bounded memory, and every file that was there before left byte-identical.
module LogitStd.Hardening.Tests.Child

open System
open System.Diagnostics
open System.IO
open System.Security.Cryptography
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Shell.SafeIO

/// How a run of the program ended, how long it took and its peak resident memory.
type Outcome =
    { Code: int
      Out: string
      Err: string
      Seconds: float
      PeakMiB: float }

/// Every case ends well within this; a hang is what the issue reported.
let limitSeconds = 10.0

/// The program's own baseline is about 170 MiB (the runtime and libtorch); an input that makes it
/// grow with its nesting or its claims would pass this bound at once.
let limitMiB = 1024.0

/// A process still running after this is killed and the test fails as a hang.
let private hangSeconds = 60.0

let private peakKiB (pid: int) =
    try
        File.ReadAllLines(sprintf "/proc/%d/status" pid)
        |> Array.tryFind (fun l -> l.StartsWith "VmHWM:")
        |> Option.map (fun l -> l.Split(' ', StringSplitOptions.RemoveEmptyEntries).[1] |> float)
    with _ -> None

/// Runs `logitstd ARGS` in `cwd` with extra environment variables. The managed heap is capped (a
/// runaway allocation fails fast rather than swapping the machine); the peak resident set (VmHWM, a
/// high-water mark) is polled while the process runs.
let runIn (cwd: string) (env: (string * string) list) (args: string list) : Outcome =
    let psi = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd)
    psi.ArgumentList.Add logitstdDll
    for a in args do psi.ArgumentList.Add a
    psi.Environment.["DOTNET_GCHeapHardLimit"] <- "0x30000000"
    for k, v in env do psi.Environment.[k] <- v
    use p = new Process(StartInfo = psi)
    let out, err = Text.StringBuilder(), Text.StringBuilder()
    p.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then lock out (fun () -> out.AppendLine e.Data |> ignore))
    p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then lock err (fun () -> err.AppendLine e.Data |> ignore))
    let watch = Stopwatch.StartNew()
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    let mutable peak = 0.0
    while not (p.WaitForExit 20) do
        peakKiB p.Id |> Option.iter (fun k -> peak <- max peak k)
        if watch.Elapsed.TotalSeconds > hangSeconds then
            p.Kill(entireProcessTree = true)
            failwithf "logitstd %s hung (killed after %.0f s)" (String.Join(" ", args)) hangSeconds
    p.WaitForExit()
    { Code = p.ExitCode; Out = out.ToString(); Err = err.ToString(); Seconds = watch.Elapsed.TotalSeconds; PeakMiB = peak / 1024.0 }

let run (args: string list) = runIn (Path.GetTempPath()) [] args

/// Every entry under `root` with its content: a file's SHA-256, a link's target, a folder, or the kind
/// of a special file (never opened: a FIFO would block). Links are recorded, not followed.
let snapshot (root: string) : Map<string, string> =
    let rec walk (dir: string) =
        [ for entry in Directory.EnumerateFileSystemEntries dir |> Seq.sort do
              let rel = Path.GetRelativePath(root, entry)
              let struct (kind, _) = FileKinds.Of(entry, false)
              match kind with
              | FileKind.SymbolicLink -> yield rel, "link → " + FileInfo(entry).LinkTarget
              | FileKind.Directory ->
                  yield rel, "folder"
                  yield! walk entry
              | FileKind.Regular ->
                  use s = File.OpenRead entry
                  yield rel, Convert.ToHexString(SHA256.HashData s)
              | kind -> yield rel, string kind ]
    walk root |> Map.ofList

/// Asserts what every hostile input must give: one of `codes`, each of `mentions` in the error, no
/// defect, the time and memory bounds, and `before` (a snapshot) unchanged.
let expectRefused (o: Outcome) (codes: int list) (mentions: string list) (root: string) (before: Map<string, string>) =
    Expect.contains codes o.Code (sprintf "exit code %d, expected one of %A; stderr: %s" o.Code codes o.Err)
    Expect.isFalse (o.Err.Contains "internal error") "not a defect"
    for m in mentions do Expect.stringContains o.Err m (sprintf "the message names %s" m)
    Expect.isLessThanOrEqual o.Seconds limitSeconds (sprintf "ended in %.1f s" o.Seconds)
    Expect.isLessThanOrEqual o.PeakMiB limitMiB (sprintf "peak memory %.0f MiB" o.PeakMiB)
    let after = snapshot root
    let changed = [ for KeyValue(k, v) in after do if before.TryFind k <> Some v then k ] @ [ for KeyValue(k, _) in before do if not (after.ContainsKey k) then k ]
    Expect.isEmpty (List.distinct changed) "every file that was there is byte-identical, and nothing was added"

/// Runs `args` in `root` and asserts the refusal over the whole of `root`.
let refusedIn (root: string) (args: string list) (codes: int list) (mentions: string list) =
    let before = snapshot root
    let o = runIn root [] args
    expectRefused o codes mentions root before
    o
