/// `logitstd eval`: an mdistiller-format resnet8x4 checkpoint saved by PyTorch evaluates on a CIFAR-100
/// binary file to PyTorch's logits, written one row per image in dataset order; mismatching
/// checkpoints are rejected before any work with both numbers in the message.
module LogitStd.Models.Tests.EvalTests

open System
open System.Globalization
open System.IO
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Shell.Cli
open LogitStd.Models.Tests.Fixtures

let evalOptions model weights dataDir save : Cli.EvalOptions =
    { Model = model; Weights = weights; Dataset = Domain.Cifar100; DataDir = Some dataDir; Split = Domain.Test
      BatchSize = 3; SaveLogits = save; SaveFeatures = None; Threads = Some 1 }

let run o =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = LogitStd.Shell.ExitCodes.Run((fun () -> EvalCommand.Run(o, out, err)), err)
    code, out.ToString(), err.ToString()

let tests =
    testList "eval" [
        testCase "resnet8x4 on a CIFAR-100 binary file: PyTorch's logits, in dataset order, to 1e-4" <| fun () ->
            use dir = new TempDir()
            let csv = dir.File "logits.csv"
            let code, out, err = run (evalOptions "resnet8x4" (committed "resnet8x4.pth") (committed "cifar100-sample.bin") (Some csv))
            Expect.equal code 0 (out + err)
            Expect.stringContains out "top-1" "prints top-1"
            Expect.stringContains out "logit std per image" "prints logit statistics"
            let rows =
                File.ReadAllLines csv |> Array.skip 1
                |> Array.map (fun l -> l.Split(',') |> Array.map (fun v -> Double.Parse(v, CultureInfo.InvariantCulture)))
            let _, expected, _ = readIo (committed "resnet8x4.cifar100-sample.io.pt")
            let e = expected.to_type(torch.float64).contiguous().data<float>().ToArray()
            let k = int expected.shape.[1]
            Expect.equal rows.Length (int expected.shape.[0]) "one row per image"
            let err = rows |> Array.mapi (fun i r -> r |> Array.mapi (fun j v -> abs (v - e.[i * k + j])) |> Array.max) |> Array.max
            printfn "eval resnet8x4 on cifar100-sample.bin: max |Δlogits| vs PyTorch = %.3g" err
            Expect.isLessThanOrEqual err 1e-4 "parity"

        testCase "a checkpoint with the wrong class count is rejected before any work, with both numbers" <| fun () ->
            use dir = new TempDir()
            let ckpt = dir.File "ten.ckpt"
            use m = LogitStd.Shell.Models.ModelZoo.Create("fmnist_mlp", 10)
            LogitStd.Shell.Persistence.Checkpoints.Save(m, ckpt)
            let code, out, err = run (evalOptions "fmnist_mlp" ckpt (committed "cifar100-sample.bin") None)
            Expect.equal code 1 err
            Expect.stringContains err (sprintf "checkpoint '%s' has 10 classes but the dataset has 100" ckpt) "both class counts, each by its owner"
            Expect.equal out "" "no work done"

        testCase "a checkpoint of another architecture is rejected, naming the tensors" <| fun () ->
            let code, _, err = run { evalOptions "resnet8x4" (committed "resnet8x4.pth") (committed "cifar100-sample.bin") None with Model = "resnet8" }
            Expect.equal code 1 err
            Expect.stringContains err "does not fit model 'resnet8'" "names the model"

        testCase "a missing checkpoint file is an error" <| fun () ->
            let code, _, err = run (evalOptions "resnet8x4" "/nonexistent/ckpt.pth" (committed "cifar100-sample.bin") None)
            Expect.equal code 1 err
            Expect.stringContains err "/nonexistent/ckpt.pth not found" "names the file"
    ]
