/// A sweep resolves each run's experiment — its config with the flags after `--` merged over it —
/// once, before it chooses the run's command: distillation flags over a vanilla config make `distill`
/// runs, and a run that could not start is refused before any run starts, naming its config.
module LogitStd.Shell.Tests.SweepResolveTests

open System
open System.IO
open Expecto
open LogitStd.Core
open LogitStd.Shell.Sweep
open LogitStd.Shell.Runs
open LogitStd.Shell.Tests.TestFiles

/// The repository's vanilla fmnist_mlp config, pointed at `data`, on all its images.
let private vanillaConfig (dir: string) (data: string) =
    let text =
        File.ReadAllText(repoFile "configs/fashion-mnist/vanilla/fmnist_mlp.yaml")
            .Replace("data_dir: null", sprintf "data_dir: \"%s\"" data)
            .Replace("train_subset: 10000", "train_subset: null")
    Expect.stringContains text "loss: cross_entropy" "the config trains alone: its file says nothing of a teacher"
    let path = Path.Combine(dir, "fmnist_mlp.yaml")
    File.WriteAllText(path, text)
    path

let private options (args: string list) =
    match Cli.parse (Array.ofList ("sweep" :: args)) with
    | Cli.Run(Cli.RunSweep o) -> o
    | other -> failtestf "%A gave %A" args other

let private program = [| "dotnet"; Path.Combine(AppContext.BaseDirectory, "logitstd.dll") |]

let tests =
    testSequenced <| testList "sweep resolves file + flags before choosing the command" [
        let dir = new TempDir()
        let data = dir.File "data"
        Directory.CreateDirectory data |> ignore
        writeTinyFashionMnist data 200 60 11
        let config = vanillaConfig dir.Path data
        // A teacher in PyTorch's format (it names no architecture: --teacher-model does).
        let teacher = dir.File "T.pth"
        do
            use m = LogitStd.Shell.Models.ModelZoo.Create("fmnist_wide_cnn", 10)
            LogitStd.Shell.Persistence.Checkpoints.SavePyTorch(m, teacher)

        yield testCase "distillation flags over a vanilla config: each run is a distill run, and it finishes" <| fun () ->
            let out = dir.File "sw"
            let args = [ "--configs"; config; "--seeds"; "1"; "--out"; out; "--"; "--method"; "kd"; "--logit-stand"
                         "--teacher"; teacher; "--teacher-model"; "fmnist_wide_cnn"; "--epochs"; "1"; "--threads"; "1" ]
            let code, stdout, err = runCommand (fun o e -> SweepCommand.Run(options args, o, e, program))
            Expect.equal code 0 (stdout + err)
            let plan = SweepPlan.Read(SweepPlan.PlanFile out)
            Expect.equal plan.Runs.Count 1 "one config × one seed"
            Expect.equal plan.Runs.[0].Fresh.[0] "distill" "the merged experiment distils from a teacher: distill"
            Expect.equal plan.Runs.[0].Resume.[0] "distill" "and it resumes as distill"
            let run = Path.Combine(out, "fmnist_mlp-s0")
            Expect.equal (RunState.Of run) RunStatus.Finished "the run finished"
            let ran = ExperimentFile.Read(Path.Combine(run, RunFiles.Experiment))
            Expect.equal (Experiments.MethodOf ran.Objective) "kd" "experiment.yaml: the KD the flags asked for"
            Expect.isTrue (Experiments.Standardizes ran.Objective) "with the logit standardization"
            Expect.equal ran.Models.Student "fmnist_mlp" "the config's student"
            Expect.equal ran.Solver.Epochs 1 "--epochs over the file's 8"

        yield testCase "a teacher flag without a method over a vanilla config is refused before any run, naming the config" <| fun () ->
            let out = dir.File "sw-refused"
            let args = [ "--configs"; config; "--seeds"; "2"; "--out"; out; "--"; "--teacher"; teacher; "--teacher-model"; "fmnist_wide_cnn" ]
            let code, stdout, err = runCommand (fun o e -> SweepCommand.Run(options args, o, e, program))
            Expect.equal code 2 (stdout + err)
            Expect.stringContains err (sprintf "error: sweep: %s: train: the experiment names a teacher" config) "the merged experiment's problem, with its config"
            Expect.isFalse (Directory.Exists out) "nothing was planned or started"
    ]
