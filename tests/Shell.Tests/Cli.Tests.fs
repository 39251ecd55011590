/// The command line: help exits 0, bad flags exit 2 with the usage.
module LogitStd.Shell.Tests.CliTests

open Expecto
open LogitStd.Core

let tests =
    testList "command line" [
        testCase "--help on the program and on every command" <| fun () ->
            for args in [ [| "--help" |]; [| "check-reference"; "--help" |]; [| "dataset"; "check"; "--help" |]; [| "models"; "--help" |]; [| "eval"; "--help" |] ] do
                match Cli.parse args with
                | Cli.Help text -> Expect.stringContains text "USAGE: logitstd" (String.concat " " args)
                | other -> failtestf "%A gave %A" args other

        testCase "an unknown command or flag is an error naming it" <| fun () ->
            match Cli.parse [| "bogus" |] with
            | Cli.Error text -> Expect.stringContains text "bogus" "names it"
            | other -> failtestf "got %A" other
            match Cli.parse [| "models"; "--classes"; "0" |] with
            | Cli.Error text -> Expect.stringContains text "--classes must be positive" "names the flag"
            | other -> failtestf "got %A" other
            match Cli.parse [| "dataset"; "check"; "--dataset"; "mnist" |] with
            | Cli.Error text -> Expect.stringContains text "--dataset" "names the flag"
            | other -> failtestf "got %A" other

        testCase "check-reference needs at least one file" <| fun () ->
            match Cli.parse [| "check-reference" |] with
            | Cli.Error _ -> ()
            | other -> failtestf "got %A" other
            match Cli.parse [| "check-reference"; "a.json"; "b.json"; "--write-actual"; "o.json" |] with
            | Cli.Run(Cli.CheckReference(files, out)) ->
                Expect.equal files [ "a.json"; "b.json" ] "files"
                Expect.equal out (Some "o.json") "output"
            | other -> failtestf "got %A" other

        testCase "teacher-cache build: defaults, and the flag combinations it refuses" <| fun () ->
            match Cli.parse [| "teacher-cache"; "build"; "--teacher"; "t.ckpt"; "--dataset"; "cifar100" |] with
            | Cli.Run(Cli.CacheTeacher o) ->
                Expect.equal o.CacheDir (System.IO.Path.Combine("cache", "teacher")) "the default folder"
                Expect.equal o.Dataset TeacherCacheCli.Cifar100 "dataset"
                Expect.equal (o.Augment, o.TrainSubset, o.Seed) (false, None, 0) "no augmentation flag, no subset, seed 0"
            | other -> failtestf "got %A" other
            for args, text in [ [| "--dataset"; "cifar100"; "--augment" |], "--augment is for fashion-mnist"
                                [| "--dataset"; "fashion-mnist"; "--seed"; "3" |], "--seed chooses the --train-subset"
                                [| "--dataset"; "fashion-mnist"; "--train-subset"; "0" |], "--train-subset must be positive"
                                [| "--dataset"; "imagefolder" |], "--dataset" ] do
                match Cli.parse (Array.append [| "teacher-cache"; "build"; "--teacher"; "t.ckpt" |] args) with
                | Cli.Error e -> Expect.stringContains e text (String.concat " " args)
                | other -> failtestf "%A gave %A" args other

        testCase "--teacher-cache belongs to distill" <| fun () ->
            match Cli.parse [| "distill"; "--teacher"; "t.ckpt"; "--method"; "kd"; "--teacher-cache"; "c"; "--out"; "o" |] with
            | Cli.Run(Cli.Fit o) -> Expect.equal o.TeacherCache (Some "c") "the folder"
            | other -> failtestf "got %A" other
            match Cli.parse [| "train"; "--teacher-cache"; "c"; "--out"; "o" |] with
            | Cli.Error e -> Expect.stringContains e "--teacher-cache belongs to `logitstd distill`" "names the flag"
            | other -> failtestf "got %A" other
    
        testCase "a train line parses into its options; what it leaves out stays None" <| fun () ->
            match Cli.parse [| "train"; "--model"; "fmnist_mlp"; "--epochs"; "3"; "--seed"; "7"; "--out"; "runs/x" |] with
            | Cli.Run(Cli.Fit o) ->
                Expect.isFalse o.Distill "train"
                Expect.equal (o.Model, o.Epochs, o.Seed, o.Out) (Some "fmnist_mlp", Some 3, Some 7, Some "runs/x") "the given flags"
                Expect.equal (o.Lr, o.Config, o.Method, o.Threads) (None, None, None, None) "the others"
                Expect.equal o.Device DeviceChoice.Cpu "the CPU by default"
            | other -> failtestf "got %A" other

        testCase "a distill line with a method, LS, its τ and weight, and a CUDA device" <| fun () ->
            match Cli.parse [| "distill"; "--student"; "resnet8x4"; "--teacher"; "t.pth"; "--teacher-model"; "resnet32x4"; "--method"; "dkd"
                               "--logit-stand"; "--base-temp"; "1.5"; "--kd-weight"; "3"; "--device"; "cuda:1"; "--out"; "o" |] with
            | Cli.Run(Cli.Fit o) ->
                Expect.isTrue o.Distill "distill"
                Expect.equal (o.Model, o.Teacher, o.TeacherModel, o.Method) (Some "resnet8x4", Some "t.pth", Some "resnet32x4", Some Domain.Method.Dkd) "models and method"
                Expect.equal (o.LogitStand, o.BaseTemp, o.KdWeight) (true, Some 1.5, Some 3.0) "LS and its settings"
                Expect.equal o.Device (DeviceChoice.Cuda 1) "--student is --model; cuda:1 is device 1"
            | other -> failtestf "got %A" other

        testCase "train and distill flag rules: each error names the flag" <| fun () ->
            let error args expected =
                match Cli.parse args with
                | Cli.Error text -> Expect.stringContains text expected (String.concat " " args)
                | other -> failtestf "%A gave %A" args other
            error [| "train"; "--method"; "kd"; "--out"; "o" |] "--method belongs to `logitstd distill`"
            error [| "distill"; "--method"; "kd"; "--base-temp"; "2"; "--out"; "o" |] "add --logit-stand"
            error [| "distill"; "--logit-stand"; "--out"; "o" |] "name the method"
            error [| "train"; "--epochs"; "0"; "--out"; "o" |] "--epochs must be positive"
            error [| "train"; "--lr"; "-1"; "--out"; "o" |] "--lr must be a positive number"
            error [| "train"; "--device"; "gpu"; "--out"; "o" |] "--device gpu"

        testCase "a resumed run may change only how it runs, not what it is" <| fun () ->
            match Cli.parse [| "train"; "--resume"; "r"; "--epochs"; "9"; "--lr"; "0.1"; "--threads"; "1" |] with
            | Cli.Run(Cli.Fit o) -> Expect.equal (TrainCli.resumeConflicts o) [ "--epochs"; "--lr" ] "the flags that would change it (not --threads)"
            | other -> failtestf "got %A" other
            match Cli.parse [| "distill"; "--resume"; "r"; "--channels-last" |] with
            | Cli.Run(Cli.Fit o) -> Expect.equal (TrainCli.resumeConflicts o) [ "--channels-last" ] "the layout is part of the run (experiment.channels_last)"
            | other -> failtestf "got %A" other

        testCase "--channels-last reaches the experiment; without it the file's value stands" <| fun () ->
            let resolve args config =
                match Cli.parse args with
                | Cli.Run(Cli.Fit o) -> ExperimentFlags.resolve o config
                | other -> failtestf "got %A" other
            match resolve [| "train"; "--channels-last"; "--out"; "o" |] None with
            | Ok e -> Expect.isTrue e.ChannelsLast "the flag"
            | Error es -> failtestf "%A" es
            match resolve [| "train"; "--out"; "o" |] (Some "experiment: { channels_last: true }") with
            | Ok e -> Expect.isTrue e.ChannelsLast "the file's value"
            | Error es -> failtestf "%A" es
            match resolve [| "train"; "--out"; "o" |] None with
            | Ok e -> Expect.isFalse e.ChannelsLast "off by default"
            | Error es -> failtestf "%A" es
    ]
