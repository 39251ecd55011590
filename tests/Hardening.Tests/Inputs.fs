/// The smallest hostile inputs of issue 22, generated (none is committed: the large ones are sparse
/// files made at test time).
module LogitStd.Hardening.Tests.Inputs

open System.Diagnostics
open System.IO
open LogitStd.Shell.Runs

/// A FIFO at `path` (a named pipe: opening it for reading blocks until a writer comes).
let mkfifo (path: string) =
    use p = Process.Start(ProcessStartInfo("mkfifo", [| path |], UseShellExecute = false))
    p.WaitForExit()
    if p.ExitCode <> 0 then failwithf "mkfifo %s failed" path

/// A sparse file of `bytes` zero bytes and no newline: huge to read, nothing on disk.
let sparse (path: string) (bytes: int64) =
    use f = new FileStream(path, FileMode.CreateNew)
    f.SetLength bytes

/// A valid summary.json of a finished run.
let summaryJson =
    """{"name":"vanilla_fmnist_mlp","dataset":"fashion-mnist","classes":10,"student":"fmnist_mlp","teacher":null,"method":"none","standardize":false,"seed":0,"epochs":1,"objective":"1·CE","best_top1":50.0,"best_epoch":1,"final_top1":50.0,"final_top5":90.0,"finished":true}"""

/// A run folder holding `summary.json` (and nothing else) at `dir`.
let runWithSummary (dir: string) =
    Directory.CreateDirectory dir |> ignore
    File.WriteAllText(Path.Combine(dir, "summary.json"), summaryJson)

/// The repository's vanilla Fashion-MNIST experiment for fmnist_mlp, its data in `dataDir`.
let experimentYaml (dataDir: string) =
    File.ReadAllText(LogitStd.Tests.TestPaths.repoFile "configs/fashion-mnist/vanilla/fmnist_mlp.yaml")
        .Replace("data_dir: null", sprintf "data_dir: \"%s\"" dataDir)
        .Replace("train_subset: 10000", "train_subset: null")
        .Replace("epochs: 8", "epochs: 1")

/// A folder the program would take for a run of its own: the marker, experiment.yaml and run.json.
let markedRun (dir: string) (experiment: string) (runJson: string) =
    Directory.CreateDirectory dir |> ignore
    RunMarker(null).WriteInto dir
    File.WriteAllText(Path.Combine(dir, "experiment.yaml"), experiment)
    File.WriteAllText(Path.Combine(dir, "run.json"), runJson)

/// An alias bomb of 499 bytes: ten levels of ten aliases each (10¹⁰ nodes expanded), the last used as
/// a mapping key, which YamlDotNet hashes by walking it.
let yamlAliasBomb =
    let levels =
        [ yield "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
          for k in 1..9 -> sprintf "a%d: &a%d [%s]" k k (String.replicate 10 (sprintf "*a%d," (k - 1)) |> fun s -> s.TrimEnd ',') ]
    String.concat "\n" levels + "\n? *a9\n: 1\n"

/// A fresh folder holding only `files` (relative name → content).
let folderWith (dir: string) (files: (string * string) list) =
    Directory.CreateDirectory dir |> ignore
    for name, content in files do
        let path = Path.Combine(dir, name)
        Directory.CreateDirectory(Path.GetDirectoryName path) |> ignore
        File.WriteAllText(path, content)
    dir
