/// `logitstd sweep` and `sweep-task` on a tiny generated Fashion-MNIST: a local sweep with child
/// processes, skipping finished runs, resuming and restarting unfinished ones; the Slurm array
/// script; bad input. (The real Slurm run, with a requeue, is the SlurmTest Cake target.)
module LogitStd.Shell.Tests.SweepTests

open System
open System.IO
open Expecto
open LogitStd.Core
open LogitStd.Shell.Sweep
open LogitStd.Shell.Runs
open LogitStd.Shell.Tests.TestFiles

/// A vanilla experiment file of the repository, pointed at `data`, on all its images, for 2 epochs.
let writeConfig (dir: string) (stem: string) (data: string) =
    let text =
        File.ReadAllText(repoFile (sprintf "configs/fashion-mnist/vanilla/%s.yaml" stem))
            .Replace("data_dir: null", sprintf "data_dir: \"%s\"" data)
            .Replace("train_subset: 10000", "train_subset: null")
            .Replace("epochs: 8", "epochs: 2")
    let path = Path.Combine(dir, stem + ".yaml")
    File.WriteAllText(path, text)
    path

let sweepOptions (args: string list) =
    match Cli.parse (Array.ofList ("sweep" :: args)) with
    | Cli.Run(Cli.RunSweep o) -> o
    | other -> failtestf "%A gave %A" args other

/// The children run the logitstd.dll beside the tests (the test binary itself is not the program).
let program = [| "dotnet"; Path.Combine(AppContext.BaseDirectory, "logitstd.dll") |]

let runSweep args = runCommand (fun o e -> SweepCommand.Run(sweepOptions args, o, e, program))

/// A fresh folder with a tiny generated Fashion-MNIST and the two experiment files the sweeps run.
let private setup () =
    let dir = new TempDir()
    let data = dir.File "data"
    Directory.CreateDirectory data |> ignore
    writeTinyFashionMnist data 200 60 7
    dir, [ writeConfig dir.Path "fmnist_mlp" data; writeConfig dir.Path "fmnist_small_cnn" data ]

/// 2 configs × 2 seeds into `out`, two child processes of one thread each.
let private sweepArgs (configs: string list) (out: string) =
    [ "--configs" ] @ configs @ [ "--seeds"; "2"; "--out"; out; "--max-parallel"; "2"; "--"; "--threads"; "1" ]

let private names = [ "fmnist_mlp-s0"; "fmnist_mlp-s1"; "fmnist_small_cnn-s0"; "fmnist_small_cnn-s1" ]

/// One sweep run to the end, made on first use by whichever test needs it first, with what the sweep
/// returned and printed: no test depends on another having run before it, and none changes this
/// folder (those that change a sweep work on `copyOfFinished`).
let private finished =
    lazy
        (let dir, configs = setup ()
         let out = dir.File "sweep"
         dir, configs, out, runSweep (sweepArgs configs out))

/// The finished sweep, checked to have ended with exit 0.
let private finishedSweep () =
    let _, configs, out, (code, stdout, err) = finished.Force()
    Expect.equal code 0 ("the finished sweep this test starts from: " + stdout + err)
    configs, out

let rec private copyTree (source: string) (target: string) =
    Directory.CreateDirectory target |> ignore
    for f in Directory.GetFiles source do File.Copy(f, Path.Combine(target, Path.GetFileName f))
    for d in Directory.GetDirectories source do copyTree d (Path.Combine(target, Path.GetFileName d))

/// A copy of the finished sweep in a fresh folder (the experiment files and the data stay shared,
/// read only), for a test that runs the sweep again or damages its run folders.
let private copyOfFinished () =
    let configs, out = finishedSweep ()
    let dir = new TempDir()
    let copy = dir.File "sweep"
    copyTree out copy
    dir, configs, copy

let tests =
    testSequenced <| testList "sweep" [
        testCase "a local sweep runs configs × seeds as child processes, one finished run folder each" <| fun () ->
            let _, _, out, (code, stdout, err) = finished.Force()
            Expect.equal code 0 (stdout + err)
            for n in names do
                Expect.equal (RunState.Of(Path.Combine(out, n))) RunStatus.Finished n
                Expect.isTrue (File.Exists(Path.Combine(out, "sweep", "logs", n + ".log"))) "its log"
            let summary = File.ReadAllText(Path.Combine(out, "fmnist_small_cnn-s1", "summary.json"))
            Expect.stringContains summary "\"seed\": 1" "the run's seed"
            let plan = SweepPlan.Read(SweepPlan.PlanFile out)
            Expect.equal (plan.Runs |> Seq.map (fun r -> r.Name) |> List.ofSeq) names "plan"
            Expect.sequenceEqual plan.Program program "the children's program"

        testCase "a second sweep skips finished runs" <| fun () ->
            let dir, configs, out = copyOfFinished ()
            use _ = dir
            let code, stdout, err = runSweep (sweepArgs configs out)
            Expect.equal code 0 (stdout + err)
            Expect.stringContains stdout "4 finished already, 0 to resume, 0 to start" "counted"
            Expect.stringContains stdout "nothing to run" "nothing run"

        testCase "an unfinished run with a checkpoint is resumed, a start without one is begun again" <| fun () ->
            let dir, configs, out = copyOfFinished ()
            use _ = dir
            // s0: stopped after its last epoch's checkpoint, before the analysis; s1: died before any checkpoint.
            let resumable = Path.Combine(out, "fmnist_mlp-s0")
            File.Delete(Path.Combine(resumable, "analysis", "student_test_logits.csv"))
            let bestBefore = File.ReadAllText(Path.Combine(resumable, "summary.json"))
            let restarted = Path.Combine(out, "fmnist_mlp-s1")
            Directory.Delete(restarted, true)
            Directory.CreateDirectory(restarted) |> ignore
            // A folder the program created (its marker) that a kill left before the first checkpoint;
            // a file of the user's in it survives the restart, which deletes only the program's files.
            LogitStd.Shell.Runs.RunMarker(null).WriteInto(restarted)
            File.WriteAllText(Path.Combine(restarted, "experiment.yaml"), "left by a killed start")
            File.WriteAllText(Path.Combine(restarted, "notes.txt"), "the user's")
            let code, stdout, err = runSweep (sweepArgs configs out)
            Expect.equal code 0 (stdout + err)
            Expect.stringContains stdout "2 finished already, 1 to resume, 1 to start" "the plan"
            Expect.stringContains (File.ReadAllText(Path.Combine(out, "sweep", "logs", "fmnist_mlp-s0.log"))) "resuming from" "resumed"
            Expect.stringContains (File.ReadAllText(Path.Combine(out, "sweep", "logs", "fmnist_mlp-s1.log"))) "removing" "restarted"
            Expect.equal (File.ReadAllText(Path.Combine(restarted, "notes.txt"))) "the user's" "the user's file is kept"
            for n in names do Expect.equal (RunState.Of(Path.Combine(out, n))) RunStatus.Finished n
            Expect.equal (File.ReadAllText(Path.Combine(resumable, "summary.json"))) bestBefore "the resumed run's summary is unchanged"

        testCase "results collects the sweep's table" <| fun () ->
            let _, out = finishedSweep ()
            let code, stdout, err = runCommand (fun o e -> LogitStd.Shell.Cli.ResultsCommand.Run([ out ], null, null, o, e))
            Expect.equal code 0 err
            Expect.stringContains stdout "| fmnist_mlp | — | none | no | `1·CE` | 2 |" "two seeds of the MLP"
            Expect.stringContains stdout "| fmnist_small_cnn | — | none | no | `1·CE` | 2 |" "two seeds of the CNN"

        testCase "sweep-task: a missing plan exits 1 (a file at fault), an index past its end 2" <| fun () ->
            let _, out = finishedSweep ()
            use dir = new TempDir()
            let code, _, err = runCommand (fun o e -> SweepTask.Run(dir.File "none.json", 0, o, e))
            Expect.equal code 1 "missing"
            Expect.stringContains err "none.json" "names the file"
            let code2, _, err2 = runCommand (fun o e -> SweepTask.Run(SweepPlan.PlanFile out, 4, o, e))
            Expect.equal code2 2 "past the end"
            Expect.stringContains err2 "has 4 runs" "says how many"

        testCase "the Slurm script: one array task per unfinished run, %P, requeue, appended per-task logs" <| fun () ->
            let _, out = finishedSweep ()
            let plan = SweepPlan.Read(SweepPlan.PlanFile out)
            let weird = SweepPlan(plan.Format, plan.Out, [| "/opt/it's here/logitstd" |], plan.Runs)
            let script = SlurmScheduler.Script(weird, "/p/plan.json", [| 1; 3 |], SlurmResources(4, Nullable 2, "gpu", "gpu:1", "2:00:00"))
            for line in [ "#SBATCH --array=1,3%2"; "#SBATCH --requeue"; "#SBATCH --open-mode=append"; "#SBATCH --cpus-per-task=4"
                          "#SBATCH --partition=gpu"; "#SBATCH --gres=gpu:1"; "#SBATCH --time=2:00:00"; "#   3: fmnist_small_cnn-s1"
                          sprintf "#SBATCH --output=\"%s/%%A_%%a.log\"" (SweepPlan.LogDir out)
                          "exec '/opt/it'\\''s here/logitstd' sweep-task --plan '/p/plan.json' --index \"$SLURM_ARRAY_TASK_ID\"" ] do
                Expect.stringContains script line line
            let plain = SlurmScheduler.Script(plan, "/p/plan.json", [| 0 |], SlurmResources(1, Nullable(), null, null, null))
            Expect.stringContains plain "#SBATCH --array=0\n" "no %P without --max-parallel"
            Expect.isFalse (plain.Contains "--gres") "no gres on CPU"

        testCase "bad configs exit 2 naming the file or folder" <| fun () ->
            let dir, _ = setup ()
            use _ = dir
            let code, _, err = runSweep [ "--configs"; dir.File "nope.yaml"; "--out"; dir.File "o2" ]
            Expect.equal code 2 "missing"
            Expect.stringContains err "nope.yaml" "names it"
            let empty = dir.File "empty"
            Directory.CreateDirectory empty |> ignore
            let code2, _, err2 = runSweep [ "--configs"; empty; "--out"; dir.File "o3" ]
            Expect.equal code2 2 "empty folder"
            Expect.stringContains err2 "holds no *.yaml" "says why"
            let broken = dir.File "broken.yaml"
            File.WriteAllText(broken, "solver:\n  epochs: -1\n")
            let code3, _, err3 = runSweep [ "--configs"; broken; "--out"; dir.File "o4" ]
            Expect.equal code3 2 "invalid"
            Expect.stringContains err3 "broken.yaml" "names the file"

        testCase "--scheduler slurm without sbatch on PATH exits 1 naming sbatch" <| fun () ->
            let dir, configs = setup ()
            use _ = dir
            let path = Environment.GetEnvironmentVariable "PATH"
            try
                Environment.SetEnvironmentVariable("PATH", dir.File "no-bin")
                let code, _, err = runSweep [ "--configs"; configs.[0]; "--out"; dir.File "o5"; "--scheduler"; "slurm" ]
                Expect.equal code 1 err
                Expect.stringContains err "sbatch is not on PATH" "names it"
            finally
                Environment.SetEnvironmentVariable("PATH", path)
    ]
