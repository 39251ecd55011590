/// Every committed experiment file under configs/ parses, validates and names models of the zoo.
module LogitStd.Shell.Tests.ConfigsTests

open System.IO
open Expecto
open LogitStd.Core
open LogitStd.Shell.Models
open LogitStd.Shell.Tests.TestFiles

let tests =
    testList "configs/" [
        testCase "every experiment file parses and names known models" <| fun () ->
            let files = Directory.GetFiles(repoFile "configs", "*.yaml", SearchOption.AllDirectories)
            Expect.isGreaterThanOrEqual files.Length 72 "one file per cell of PAPER.md §6 at least"
            for f in files do
                match ExperimentYaml.parse (File.ReadAllText f) with
                | Error es -> failtestf "%s: %s" f (String.concat "; " es)
                | Ok e ->
                    Expect.isTrue (ModelZoo.Contains e.Models.Student) (sprintf "%s: student %s" f e.Models.Student)
                    e.Models.Teacher |> Option.iter (fun t -> Expect.isTrue (ModelZoo.Contains t) (sprintf "%s: teacher %s" f t))

        testCase "the CIFAR-100 files carry the per-pair settings" <| fun () ->
            let load (rel: string) =
                match ExperimentYaml.parse (File.ReadAllText(repoFile ("configs/cifar100/" + rel))) with
                | Ok e -> e
                | Error es -> failtestf "%A" es
            let dkdBeta (e: Experiment.Experiment) =
                e.Objective.Terms |> List.pick (fun t -> match t.Term with Objective.Dkd(_, b, _, _, _) -> Some b | _ -> None)
            Expect.equal (dkdBeta (load "dkd/resnet56_resnet20.yaml")) 2.0 "β 2 for res56→res20"
            Expect.equal (dkdBeta (load "dkd/vgg13_vgg8.yaml")) 6.0 "β 6 for vgg13→vgg8"
            Expect.equal (dkdBeta (load "dkd_ls/resnet32x4_resnet8x4.yaml")) 72.0 "β 8 × 9 with LS"
            Expect.equal (load "kd/vgg13_mobilenetv2.yaml").Solver.Lr 0.01 "LR 0.01 for MobileNetV2"
            Expect.equal (load "mlkd/resnet32x4_shufflev2.yaml").Solver.Epochs 960 "MLKD 960 epochs for ShuffleNet"
            Expect.equal (load "kd_ls/resnet32x4_resnet8x4.yaml").Objective (Objective.Presets.kd true) "KD+LS preset"

        // tools/configs/make_configs.py writes the settings out; the presets are the core's. They must agree.
        testCase "every method's CIFAR-100 file, with and without LS, is the core's preset (Methods.objective)" <| fun () ->
            for m in Methods.all do
                for ls in [ false; true ] do
                    let tag = Methods.name m + (if ls then "_ls" else "")
                    let file = repoFile (sprintf "configs/cifar100/%s/resnet32x4_resnet8x4.yaml" tag)
                    match ExperimentYaml.parse (File.ReadAllText file) with
                    | Error es -> failtestf "%s: %A" file es
                    | Ok e ->
                        let preset = Methods.objective m (if ls then Some Objective.Presets.paperLs else None)
                        Expect.equal (Objective.describe e.Objective) (Objective.describe preset) (sprintf "%s: the formula" file)
                        Expect.equal e.Objective preset (sprintf "%s: the preset" file)
    ]
