/// The sweep's pure parts: run names, expansion, the command lines of fresh and resumed runs; the
/// device flag's grammar; the `sweep` command line.
module LogitStd.Core.Tests.SweepTests

open Expecto
open LogitStd.Core

let private ok r =
    match r with
    | Ok v -> v
    | Error e -> failtestf "expected Ok, got Error %A" e

let tests =
    testList "sweep" [
        testCase "runs are named <config-stem>-s<seed>, config-major" <| fun () ->
            let runs = Sweep.expand [ "/c/vanilla/a.yaml"; "/c/vanilla/b.yaml" ] 3 2 |> ok
            Expect.equal (runs |> List.map (fun r -> r.Name)) [ "a-s3"; "a-s4"; "b-s3"; "b-s4" ] "names"
            Expect.equal (runs |> List.map (fun r -> r.Seed)) [ 3; 4; 3; 4 ] "seeds"
            Expect.equal runs.[2].Config "/c/vanilla/b.yaml" "config"

        testCase "configs sharing a stem are told apart by their folder" <| fun () ->
            let runs = Sweep.expand [ "/c/kd/x.yaml"; "/c/kd_ls/x.yaml"; "/c/vanilla/y.yaml" ] 0 1 |> ok
            Expect.equal (runs |> List.map (fun r -> r.Name)) [ "kd.x-s0"; "kd_ls.x-s0"; "y-s0" ] "names"

        testCase "names that would still clash, a config given twice and no configs are errors" <| fun () ->
            match Sweep.expand [ "/a/kd/x.yaml"; "/b/kd/x.yaml" ] 0 1 with
            | Error e -> Expect.stringContains e "/a/kd/x.yaml and /b/kd/x.yaml" "names both files"
            | Ok r -> failtestf "got %A" r
            match Sweep.expand [ "/a/x.yaml"; "/a/x.yaml" ] 0 1 with
            | Error e -> Expect.stringContains e "given twice" "duplicate"
            | Ok r -> failtestf "got %A" r
            Expect.isError (Sweep.expand [] 0 1) "empty"

        testCase "a fresh run gets config, seed and folder; a resumed one only --threads, --device and --teacher-cache" <| fun () ->
            let run = { Sweep.Name = "a-s1"; Sweep.Config = "/c/a.yaml"; Sweep.Seed = 1 }
            let flags = [ "--epochs"; "1"; "--threads"; "2"; "--train-subset"; "500"; "--device"; "cuda:1"; "--teacher-cache"; "/c/tc" ]
            Expect.equal (Sweep.freshArgs "train" run "/o/a-s1" flags)
                ([ "train"; "--config"; "/c/a.yaml"; "--seed"; "1"; "--out"; "/o/a-s1" ] @ flags) "fresh"
            Expect.equal (Sweep.resumeArgs "distill" "/o/a-s1" flags) [ "distill"; "--resume"; "/o/a-s1"; "--threads"; "2"; "--device"; "cuda:1"; "--teacher-cache"; "/c/tc" ] "resume"

        testCase "--device: cpu, cuda, cuda:N; anything else names the flag" <| fun () ->
            Expect.equal (DeviceChoice.parse "cpu") (Ok DeviceChoice.Cpu) "cpu"
            Expect.equal (DeviceChoice.parse "cuda") (Ok(DeviceChoice.Cuda 0)) "cuda"
            Expect.equal (DeviceChoice.parse "CUDA:3") (Ok(DeviceChoice.Cuda 3)) "cuda:3"
            Expect.equal (DeviceChoice.name (DeviceChoice.Cuda 2)) "cuda:2" "name"
            for bad in [ "gpu"; "cuda:"; "cuda:-1"; "cuda:x"; "cuda:1:2" ] do
                match DeviceChoice.parse bad with
                | Error e -> Expect.stringContains e ("--device " + bad) bad
                | Ok d -> failtestf "%s gave %A" bad d

        testCase "train --device cuda:1 parses; a bad device exits 2 naming it" <| fun () ->
            match Cli.parse [| "train"; "--device"; "cuda:1"; "--out"; "o" |] with
            | Cli.Run(Cli.Fit o) -> Expect.equal o.Device (DeviceChoice.Cuda 1) "device"
            | other -> failtestf "got %A" other
            match Cli.parse [| "train"; "--device"; "tpu"; "--out"; "o" |] with
            | Cli.Error e -> Expect.stringContains e "--device tpu" "names it"
            | other -> failtestf "got %A" other

        testCase "sweep: what follows -- are training flags, validated as such" <| fun () ->
            match Cli.parse [| "sweep"; "--configs"; "a.yaml"; "b"; "--seeds"; "3"; "--out"; "o"; "--scheduler"; "slurm"; "--max-parallel"; "2"; "--wait"
                               "--"; "--epochs"; "1"; "--threads"; "4"; "--device"; "cuda" |] with
            | Cli.Run(Cli.RunSweep o) ->
                Expect.equal o.Configs [ "a.yaml"; "b" ] "configs"
                Expect.equal o.Seeds 3 "seeds"
                Expect.equal o.Scheduler CliSweep.Slurm "scheduler"
                Expect.equal o.MaxParallel (Some 2) "P"
                Expect.isTrue o.Wait "wait"
                Expect.equal o.TrainFlags [ "--epochs"; "1"; "--threads"; "4"; "--device"; "cuda" ] "flags"
                Expect.equal o.Threads (Some 4) "threads"
                Expect.equal o.Device (DeviceChoice.Cuda 0) "device"
            | other -> failtestf "got %A" other
            let error args (expected: string) =
                match Cli.parse args with
                | Cli.Error e -> Expect.stringContains e expected (String.concat " " args)
                | other -> failtestf "%A gave %A" args other
            error [| "sweep"; "--configs"; "a"; "--out"; "o"; "--"; "--seed"; "1" |] "--seed after `--`"
            error [| "sweep"; "--configs"; "a"; "--out"; "o"; "--"; "--epoch"; "1" |] "training flags after `--`"
            error [| "sweep"; "--configs"; "a"; "--out"; "o"; "--wait" |] "--wait belongs to --scheduler slurm"
            error [| "sweep"; "--configs"; "a"; "--out"; "o"; "--seeds"; "0" |] "--seeds must be positive"
            error [| "sweep"; "--out"; "o" |] "--configs"
    ]
