/// B5, B7, B8, B13 and `--resume`: folders of users are never written into or deleted from; a run
/// folder is known by its marker; no link leads a write out of it.
module LogitStd.Hardening.Tests.FoldersTests

open System.IO
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Tests.TinyData
open LogitStd.Hardening.Tests.Child
open LogitStd.Hardening.Tests.Inputs

/// `train` of the vanilla MLP on `data` (absent data is fine where the folder is refused first) into `out`.
let private train (data: string) (out: string) =
    [ "train"; "--model"; "fmnist_mlp"; "--dataset"; "fashion-mnist"; "--data-dir"; data; "--epochs"; "1"; "--batch-size"; "16"
      "--threads"; "1"; "--seed"; "1"; "--out"; out ]

let private sweepFolder (out: string) =
    Directory.CreateDirectory out |> ignore
    File.WriteAllText(Path.Combine(out, ".logitstd-sweep"), "logitstd-sweep/1\n")

let tests =
    // One small generated dataset and one real finished run, shared by the cases that need them.
    let shared = new TempDir()
    let data = lazy (let d = shared.File "data" in writeTinyFashionMnist d 40 20 3; d)
    let finishedRun =
        lazy
            (let out = shared.File "finished"
             let o = run (train data.Value out)
             if o.Code <> 0 then failwithf "the reference run failed: %s%s" o.Out o.Err
             out)
    /// A copy of the finished run in `dir` (links and all: a plain recursive copy).
    let copyRun (dir: string) =
        let target = Path.Combine(dir, "run")
        for f in Directory.EnumerateFiles(finishedRun.Value, "*", SearchOption.AllDirectories) do
            let t = Path.Combine(target, Path.GetRelativePath(finishedRun.Value, f))
            Directory.CreateDirectory(Path.GetDirectoryName t) |> ignore
            File.Copy(f, t)
        target
    testSequenced <| testList "folders" [
        test "B7: --out on a folder of the user's (hidden .*.tmp files and their own run.json) is refused, nothing deleted" {
            use dir = new TempDir()
            let out = folderWith (dir.File "mine") [ ".draft.tmp", "keep"; ".notes.0123456789abcdef0123456789abcdef.tmp", "keep"; "run.json", """{"threads": 4, "mine": true}""" ]
            refusedIn dir.Path (train (dir.File "nodata") out) [ 2 ] [ out; "not a LogitStd run folder" ] |> ignore
        }
        test "B7: --out on a symbolic link to a folder is refused" {
            use dir = new TempDir()
            let target = folderWith (dir.File "target") []
            File.CreateSymbolicLink(dir.File "link", target) |> ignore
            refusedIn dir.Path (train (dir.File "nodata") (dir.File "link")) [ 2 ] [ "symbolic link" ] |> ignore
        }
        test "B13: a checkpoints → /elsewhere link planted in a run folder: --out and --resume refuse it, elsewhere untouched" {
            use dir = new TempDir()
            let elsewhere = folderWith (dir.File "elsewhere") [ "latest.ckpt", "the user's file" ]
            // A creation killed before experiment.yaml (the marker only), which --out would continue.
            let cut = dir.File "cut"
            Directory.CreateDirectory cut |> ignore
            LogitStd.Shell.Runs.RunMarker(null).WriteInto cut
            Directory.CreateSymbolicLink(Path.Combine(cut, "checkpoints"), elsewhere) |> ignore
            refusedIn dir.Path (train data.Value cut) [ 2 ] [ Path.Combine(cut, "checkpoints"); "symbolic link" ] |> ignore
            let resumable = copyRun dir.Path
            Directory.Delete(Path.Combine(resumable, "events"), true)
            Directory.CreateSymbolicLink(Path.Combine(resumable, "events"), elsewhere) |> ignore
            refusedIn dir.Path [ "train"; "--resume"; resumable ] [ 2 ] [ Path.Combine(resumable, "events"); "symbolic link" ] |> ignore
            // The same in a sweep's own folder: sweep/logs → elsewhere.
            let config = dir.File "c.yaml"
            File.WriteAllText(config, experimentYaml (dir.File "nodata"))
            let out = dir.File "sweep-out"
            sweepFolder out
            Directory.CreateDirectory(Path.Combine(out, "sweep")) |> ignore
            Directory.CreateSymbolicLink(Path.Combine(out, "sweep", "logs"), elsewhere) |> ignore
            refusedIn dir.Path [ "sweep"; "--configs"; config; "--seeds"; "1"; "--out"; out ] [ 2 ] [ Path.Combine(out, "sweep", "logs"); "not a folder" ] |> ignore
        }
        test "B5: sweep into an --out whose <config>-s<seed>/ holds a user's files is refused, nothing deleted" {
            use dir = new TempDir()
            let config = dir.File "c.yaml"
            File.WriteAllText(config, experimentYaml (dir.File "nodata"))
            let out = dir.File "out"
            sweepFolder out
            folderWith (Path.Combine(out, "c-s0")) [ "thesis.tex", "years of work" ] |> ignore
            refusedIn dir.Path [ "sweep"; "--configs"; config; "--seeds"; "1"; "--out"; out ] [ 2 ] [ Path.Combine(out, "c-s0"); "not a LogitStd run folder" ] |> ignore
            // And an --out that is no sweep folder at all.
            let mine = folderWith (dir.File "mine") [ "notes.txt", "mine" ]
            refusedIn dir.Path [ "sweep"; "--configs"; config; "--seeds"; "1"; "--out"; mine ] [ 2 ] [ mine; "not a LogitStd sweep folder" ] |> ignore
        }
        test "B5: sweep-task refuses a plan.json whose run folder lies outside its out, or whose out is elsewhere" {
            use dir = new TempDir()
            let out = dir.File "out"
            let elsewhere = folderWith (dir.File "home") [ "precious.txt", "do not delete" ]
            let plan (outField: string) (runDir: string) =
                sprintf """{"format":"logitstd-sweep/1","out":"%s","program":["logitstd"],"runs":[{"name":"c-s0","dir":"%s","config":"c.yaml","seed":0,"fresh":["train"],"resume":["train"]}]}""" outField runDir
            let planFile = Path.Combine(out, "sweep", "plan.json")
            folderWith (Path.Combine(out, "sweep")) [ "plan.json", plan out elsewhere ] |> ignore
            refusedIn dir.Path [ "sweep-task"; "--plan"; planFile; "--index"; "0" ] [ 1 ] [ planFile; elsewhere; "lie in its out folder" ] |> ignore
            File.WriteAllText(planFile, plan (dir.File "home/..") (Path.Combine(out, "c-s0")))
            refusedIn dir.Path [ "sweep-task"; "--plan"; planFile; "--index"; "0" ] [ 1 ] [ planFile; "not the folder the plan lies in" ] |> ignore
            // A plan of its own sweep whose run folder holds the user's files (no marker): refused, kept.
            File.WriteAllText(planFile, plan out (Path.Combine(out, "c-s0")))
            folderWith (Path.Combine(out, "c-s0")) [ "data.csv", "1,2,3" ] |> ignore
            refusedIn dir.Path [ "sweep-task"; "--plan"; planFile; "--index"; "0" ] [ 2 ] [ Path.Combine(out, "c-s0"); "not a LogitStd run folder" ] |> ignore
        }
        test "B8: link loops (a → ., b → .) in a results folder: an error naming the loop, not a hang" {
            use dir = new TempDir()
            let results = dir.File "results"
            runWithSummary (Path.Combine(results, "r1"))
            Directory.CreateSymbolicLink(Path.Combine(results, "a"), ".") |> ignore
            Directory.CreateSymbolicLink(Path.Combine(results, "b"), ".") |> ignore
            refusedIn dir.Path [ "results"; results ] [ 1 ] [ Path.Combine(results, "a"); "symbolic-link loop" ] |> ignore
        }
        test "B8: one loop in results: an error, not one run counted as 41 seeds" {
            use dir = new TempDir()
            let results = dir.File "results"
            runWithSummary (Path.Combine(results, "r1"))
            Directory.CreateSymbolicLink(Path.Combine(results, "r1", "again"), "..") |> ignore
            refusedIn dir.Path [ "results"; results ] [ 1 ] [ "again"; "symbolic-link loop" ] |> ignore
        }
        test "B8: link loops in sweep --configs and in an --out folder" {
            use dir = new TempDir()
            let configs = folderWith (dir.File "configs") [ "c.yaml", experimentYaml (dir.File "nodata") ]
            Directory.CreateSymbolicLink(Path.Combine(configs, "a"), ".") |> ignore
            refusedIn dir.Path [ "sweep"; "--configs"; configs; "--seeds"; "1"; "--out"; dir.File "out" ] [ 1 ] [ Path.Combine(configs, "a"); "symbolic-link loop" ] |> ignore
            let out = dir.File "loopy"
            Directory.CreateDirectory out |> ignore
            Directory.CreateSymbolicLink(Path.Combine(out, "a"), ".") |> ignore
            Directory.CreateSymbolicLink(Path.Combine(out, "b"), ".") |> ignore
            refusedIn dir.Path (train (dir.File "nodata") out) [ 2 ] [ out; "not a LogitStd run folder" ] |> ignore
        }
        test "B12: --threads 100000 is refused; so is \"threads\": 100000 in run.json on --resume" {
            use dir = new TempDir()
            refusedIn dir.Path [ "train"; "--model"; "fmnist_mlp"; "--threads"; "100000"; "--out"; dir.File "x" ] [ 2 ] [ "--threads 100000"; "1024" ] |> ignore
            let runDir = dir.File "run"
            markedRun runDir (experimentYaml (dir.File "nodata")) """{"threads":100000}"""
            refusedIn dir.Path [ "train"; "--resume"; runDir ] [ 1 ] [ Path.Combine(runDir, "run.json"); "100000" ] |> ignore
        }
        test "--resume refuses a run whose data_dir was edited to other data" {
            use dir = new TempDir()
            let runDir = copyRun dir.Path
            let other = dir.File "other-data"
            writeTinyFashionMnist other 40 20 99
            let yaml = Path.Combine(runDir, "experiment.yaml")
            File.WriteAllText(yaml, File.ReadAllText(yaml).Replace(data.Value, other))
            refusedIn dir.Path [ "train"; "--resume"; runDir ] [ 1 ] [ yaml; "not the data the run was created with" ] |> ignore
        }
        test "--resume refuses a teacher_cache added to run.json (a folder the run was not created with)" {
            use dir = new TempDir()
            let runDir = copyRun dir.Path
            let victim = folderWith (dir.File "victim") [ "keep.txt", "mine" ]
            File.WriteAllText(Path.Combine(runDir, "run.json"), sprintf """{"threads":1,"teacher_cache":"%s"}""" victim)
            refusedIn dir.Path [ "train"; "--resume"; runDir ] [ 1 ] [ Path.Combine(runDir, "run.json"); victim; "created with none" ] |> ignore
        }
        test "a folder killed while being created (its marker only) is continued by --out, and the run finishes" {
            use dir = new TempDir()
            let cut = dir.File "cut"
            Directory.CreateDirectory cut |> ignore
            LogitStd.Shell.Runs.RunMarker(null).WriteInto cut
            let o = run (train data.Value cut)
            Expect.equal o.Code 0 (o.Out + o.Err)
            Expect.isTrue (File.Exists(Path.Combine(cut, "summary.json"))) "finished"
        }
    ]
