/// Runs a reader on one damaged file and judges the outcome, exactly: the file is read (with its
/// original content, unless the mutation rewrote checksums), or rejected with an InputException whose
/// message names the file. Anything else — another exception type (exit 70 in the program), a
/// message without the file, a hang, an allocation sized from a claim — is a defect.
module LogitStd.Fuzz.Harness

open System
open System.Collections.Concurrent
open System.IO
open System.Threading.Tasks
open Expecto
open LogitStd.Shell
open LogitStd.Fuzz.Mutate

/// Per case: no reader may take longer than this…
let caseTimeout = TimeSpan.FromSeconds 5.0

/// …nor allocate more managed memory than this (every seed file is under 1 MB; a reader that sizes
/// a buffer from a claimed length allocates gigabytes).
let maxAllocatedBytes = 256L <<< 20

/// What a reader made of a file: `Same` when it read the content of the undamaged file.
type Read =
    | Same
    | Changed

/// Cases run per format (printed at the end, with the total).
let counts = ConcurrentDictionary<string, int>()

/// Judges one case; Ok with the outcome's name, or Error with the defect.
let judge (path: string) (m: Mutant) (read: unit -> Read) : Result<string, string> =
    let before = GC.GetTotalAllocatedBytes false
    let task = Task.Run(fun () -> try Choice1Of2(read ()) with e -> Choice2Of2 e)
    if not (task.Wait caseTimeout) then Error(sprintf "no result within %.0f s (a hang)" caseTimeout.TotalSeconds)
    else
        let allocated = GC.GetTotalAllocatedBytes false - before
        if allocated > maxAllocatedBytes then Error(sprintf "allocated %d MB for a file of %d bytes" (allocated >>> 20) m.Bytes.Length)
        else
            match task.Result with
            | Choice1Of2 Same -> Ok "read"
            | Choice1Of2 Changed when not m.Detectable -> Ok "read (crafted)"
            | Choice1Of2 Changed -> Error "read successfully but with content other than the file's (damage went unnoticed)"
            | Choice2Of2(:? InputException as e) when e.Message.Contains path -> Ok "rejected"
            | Choice2Of2(:? InputException as e) -> Error(sprintf "%s does not name %s: %s" (e.GetType().Name) path e.Message)
            | Choice2Of2 e -> Error(sprintf "%s (exit 70): %s" (e.GetType().FullName) (e.ToString().Split('\n') |> Array.truncate 6 |> String.concat "\n"))

/// Runs `cases` mutants of the seed made by `mutate`, each written to `path` and read by `read`;
/// fails with every defect found (kind, first bytes) after running them all.
let fuzz (format: string) (seed: int) (cases: int) (path: string) (mutate: Random -> Mutant) (read: string -> Read) =
    let rng = Random seed
    let defects = ResizeArray<string>()
    let outcomes = Collections.Generic.Dictionary<string, int>()
    for i in 1..cases do
        let m = mutate rng
        File.WriteAllBytes(path, m.Bytes)
        match judge path m (fun () -> read path) with
        | Ok o -> outcomes.[o] <- (match outcomes.TryGetValue o with | true, n -> n + 1 | _ -> 1)
        | Error d ->
            if defects.Count < 10 then
                let keep = Path.Combine(Path.GetTempPath(), sprintf "logitstd-fuzz-%s-%d%s" (format.Replace(' ', '-')) i (Path.GetExtension path))
                File.WriteAllBytes(keep, m.Bytes)
                defects.Add(sprintf "case %d (%s, kept as %s): %s" i m.Kind keep d)
    counts.[format] <- cases
    let summary = outcomes |> Seq.sortBy (fun kv -> kv.Key) |> Seq.map (fun kv -> sprintf "%s %d" kv.Key kv.Value) |> String.concat ", "
    printfn "fuzz %-24s %5d cases: %s" format cases summary
    Expect.isEmpty defects (sprintf "%s: %d defect(s):\n%s" format defects.Count (String.Join("\n", defects)))
    let peak = Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64
    Expect.isLessThan peak (2L <<< 30) (sprintf "peak working set %d MB after %s" (peak >>> 20) format)

