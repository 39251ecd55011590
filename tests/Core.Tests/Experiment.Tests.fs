/// Specifications of the experiment description: YAML parsing with key-path errors, round trip,
/// and command-line flags that replace exactly their own value.
module LogitStd.Core.Tests.ExperimentTests

open Expecto
open LogitStd.Core
open LogitStd.Core.Experiment
open LogitStd.Core.ExperimentYaml
open LogitStd.Core.ExperimentFlags
open LogitStd.Core.Objective

let kdLs =
    """
experiment: { name: kd_ls, seed: 3 }
dataset: { name: cifar100 }
models: { student: resnet8x4, teacher: resnet32x4, teacher_weights: t.pth }
solver: { epochs: 240, batch_size: 64, lr: 0.05, lr_milestones: [150, 180, 210] }
objective:
  - { name: ce, weight: 0.1, loss: cross_entropy }
  - { name: kd, weight: 9, loss: kd, temperature: 2, standardize: true }
"""

let errorsOf text =
    match parse text with
    | Ok _ -> failtest "expected an error"
    | Error es -> String.concat "\n" es

let options distill : TrainCli.TrainOptions =
    { Distill = distill; Config = None; Dataset = None; DataDir = None; Model = None; Teacher = None; TeacherModel = None
      Method = None; LogitStand = false; BaseTemp = None; KdWeight = None; Epochs = None; BatchSize = None; Lr = None
      Seed = None; TrainSubset = None; Name = None; Threads = None; Device = DeviceChoice.Cpu; Out = None; Resume = None; TeacherCache = None; ChannelsLast = false }

let tests =
    testList "Experiment" [
        testCase "parses a KD+LS experiment" <| fun () ->
            match parse kdLs with
            | Error es -> failtestf "%A" es
            | Ok e ->
                Expect.equal e.Seed 3 "seed"
                Expect.equal e.Dataset.Name Domain.Cifar100 "dataset"
                Expect.equal e.Models.Teacher (Some "resnet32x4") "teacher"
                Expect.equal e.Solver.LrMilestones [ 150; 180; 210 ] "milestones"
                Expect.equal e.Objective (Presets.kd true) "the KD+LS preset"
                Expect.equal (methodOf e.Objective) "kd" "method"
                Expect.isTrue (standardizes e.Objective) "standardizes"

        testCase "round-trips through toYaml" <| fun () ->
            for o in [ Presets.kd true; Presets.dkd false; Presets.mlkd true; Presets.ctkd true ] do
                let e = { defaultExperiment with Objective = o; Models = { Student = "s"; Teacher = Some "t"; TeacherWeights = Some "w \"q\".ckpt" } }
                Expect.equal (parse (toYaml e)) (Ok e) (describe o)

        testCase "the MLKD ablation arms and the term-gradient diagnostics parse, describe and round-trip" <| fun () ->
            let text =
                """
experiment: { name: mlkd_ls_all_std, log_term_gradients: true }
models: { student: s, teacher: t, teacher_weights: w.ckpt }
objective:
  - { name: ce, weight: 0.1, loss: cross_entropy_two_views }
  - { name: kd, weight: 9, loss: mlkd_instance, temperature: 2, standardize: true }
  - { name: cc, weight: 9, loss: mlkd_class, temperature: 2, standardize: true }
  - { name: bc, weight: 9, loss: mlkd_batch, temperature: 2 }
"""
            match parse text with
            | Error es -> failtestf "%A" es
            | Ok e ->
                Expect.isTrue e.LogTermGradients "log_term_gradients"
                Expect.equal (describe e.Objective) "0.1·(CE(weak) + CE(strong)) + 9·MLKD-instance(τ=2, zscore) + 9·MLKD-class(τ=2, zscore) + 9·MLKD-batch(τ=2)" "formula"
                Expect.equal (methodOf e.Objective) "mlkd" "still MLKD"
                Expect.equal (parse (toYaml e)) (Ok e) "round trip"
                Expect.isFalse ((toYaml { e with LogTermGradients = false }).Contains "log_term_gradients") "off: not written"
            Expect.isFalse defaultExperiment.LogTermGradients "off by default"
            Expect.stringContains (errorsOf "experiment: { log_term_gradients: maybe }") "experiment.log_term_gradients" "a bad value names its key"

        testCase "channels_last: off by default, parsed, written only when on, and a bad value names its key" <| fun () ->
            Expect.isFalse defaultExperiment.ChannelsLast "off by default"
            match parse "experiment: { name: cl, channels_last: true }" with
            | Error es -> failtestf "%A" es
            | Ok e ->
                Expect.isTrue e.ChannelsLast "parsed"
                Expect.stringContains (toYaml e) "channels_last: true" "written"
                Expect.equal (parse (toYaml e)) (Ok e) "round trip"
                Expect.isFalse ((toYaml { e with ChannelsLast = false }).Contains "channels_last") "off: not written"
            Expect.stringContains (errorsOf "experiment: { channels_last: 2 }") "experiment.channels_last" "a bad value names its key"

        testCase "YAML aliases: a few are read as written, a document they expand past the bound is refused before it is built" <| fun () ->
            let withAlias = kdLs.Replace("solver: { epochs: 240,", "solver: &s { epochs: 240,") + "x_unused: *s\n"
            Expect.stringContains (errorsOf withAlias) "(top level).x_unused: unknown key" "the alias was resolved and the key checked"
            // Ten levels of ten aliases each: 10¹⁰ nodes, the last level used as a mapping key.
            let bomb =
                [ yield "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
                  for k in 1..9 -> sprintf "a%d: &a%d [%s]" k k (String.concat ", " (List.replicate 10 (sprintf "*a%d" (k - 1)))) ]
                |> String.concat "\n"
            let es = errorsOf (bomb + "\n? *a9\n: 1\n")
            Expect.stringContains es "aliases expand the document to more than 100000 nodes" "the bound, with its line"
            Expect.stringContains es "line 5" "where the expansion passes it (a4: 111,111 nodes)"

        testCase "unknown keys are rejected with their path and the accepted keys" <| fun () ->
            let es = errorsOf "solver: { learning_rate: 0.1 }"
            Expect.stringContains es "solver.learning_rate: unknown key" "path"
            Expect.stringContains es "accepted: type, epochs, batch_size, lr" "accepted keys"
            Expect.stringContains (errorsOf "optimiser: {}") "(top level).optimiser: unknown key" "top level"
            Expect.stringContains (errorsOf "objective:\n  - { name: kd, weight: 1, loss: kd, temperature: 2, alpha: 1 }") "objective[0].alpha: not a parameter of loss 'kd'" "term parameter"

        testCase "invalid values are rejected with their path and the accepted values" <| fun () ->
            Expect.stringContains (errorsOf "solver: { lr: fast }") "solver.lr: expected a number, got 'fast'" "number"
            Expect.stringContains (errorsOf "solver: { lr: -1 }") "solver.lr: must be a positive number" "range"
            Expect.stringContains (errorsOf "dataset: { name: mnist }") "dataset.name: unknown dataset 'mnist' (accepted: fashion-mnist, cifar100, imagefolder)" "dataset"
            Expect.stringContains (errorsOf "objective:\n  - { name: x, weight: 1, loss: hinton }") "objective[0].loss: unknown loss 'hinton' (accepted: cross_entropy" "loss"
            Expect.stringContains (errorsOf "objective:\n  - { name: x, weight: 1, loss: kd }") "objective[0].temperature: required" "required"
            Expect.stringContains (errorsOf "solver: { lr_milestones: [5, 3] }") "solver.lr_milestones: must be positive and increasing" "milestones"
            Expect.stringContains (errorsOf "solver: { type: adam }") "solver.type: unknown optimizer 'adam' (accepted: sgd)" "optimizer"
            Expect.stringContains (errorsOf "objective:\n  - { name: kd, weight: 1, loss: kd, temperature: 2 }") "models.teacher: the objective" "teacher needed"
            Expect.stringContains (errorsOf "solver: [1, 2") "YAML syntax error at line" "syntax"

        testCase "a flag replaces exactly its own value" <| fun () ->
            let o = { options true with Epochs = Some 2; Seed = Some 7 }
            match resolve o (Some kdLs) with
            | Error es -> failtestf "%A" es
            | Ok e ->
                Expect.equal e.Solver.Epochs 2 "epochs from the flag"
                Expect.equal e.Seed 7 "seed from the flag"
                Expect.equal e.Solver.LrMilestones [ 150; 180; 210 ] "milestones untouched"
                Expect.equal e.Objective (Presets.kd true) "objective untouched"

        testCase "--method builds the paper's preset; with --logit-stand at τ and the KD weight" <| fun () ->
            let o = { options true with Method = Some Domain.Method.Dkd; LogitStand = true; BaseTemp = Some 1.0; KdWeight = Some 3.0; Teacher = Some "t.ckpt"; TeacherModel = Some "fmnist_wide_cnn" }
            match resolve o None with
            | Error es -> failtestf "%A" es
            | Ok e -> Expect.equal e.Objective (Presets.dkdWith true 3.0 24.0 1.0 1.0 20) "DKD+LS with α, β × 3, τ 1"
            match resolve { o with LogitStand = false; BaseTemp = None; KdWeight = None } None with
            | Ok e -> Expect.equal e.Objective (Presets.dkd false) "vanilla DKD"
            | Error es -> failtestf "%A" es

        testCase "the file and the flags are merged, then validated once: a file naming a teacher gets its weights from --teacher" <| fun () ->
            let file = "models: { student: fmnist_mlp, teacher: fmnist_wide_cnn }\nobjective:\n  - { name: ce, weight: 0.1, loss: cross_entropy }\n  - { name: kd, weight: 9, loss: kd, temperature: 2, standardize: true }"
            match resolve { options true with Teacher = Some "teacher.ckpt" } (Some file) with
            | Error es -> failtestf "the merged experiment is complete, yet: %A" es
            | Ok e ->
                Expect.equal e.Models.TeacherWeights (Some "teacher.ckpt") "the weights from the flag"
                Expect.equal e.Models.Teacher (Some "fmnist_wide_cnn") "the architecture from the file"
            match resolve (options true) (Some file) with
            | Error es -> Expect.stringContains (String.concat " " es) "models.teacher_weights" "without the flag the experiment is incomplete"
            | Ok _ -> failtest "expected an error"

        testCase "distill without a method or teacher, and train with a teacher, are errors" <| fun () ->
            match resolve (options true) None with
            | Error es -> Expect.stringContains (String.concat " " es) "no distillation objective" "distill"
            | Ok _ -> failtest "expected an error"
            match resolve { options true with Method = Some Domain.Method.Kd } None with
            | Error es -> Expect.stringContains (String.concat " " es) "models.teacher: the objective" "needs a teacher"
            | Ok _ -> failtest "expected an error"
            match resolve (options false) (Some kdLs) with
            | Error es -> Expect.stringContains (String.concat " " es) "use `logitstd distill`" "train"
            | Ok _ -> failtest "expected an error"
    ]
