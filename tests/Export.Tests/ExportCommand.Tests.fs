/// `logitstd export`: an mdistiller checkpoint saved by PyTorch exports to ONNX whose logits under ONNX
/// Runtime are PyTorch's own, and to a bare state dict that PyTorch loads strictly; checkpoints that do
/// not fit and layers the exporter does not know are refused with the file, module and type named.
module LogitStd.Export.Tests.ExportCommandTests

open System.IO
open Expecto
open TorchSharp
open LogitStd.Core
open LogitStd.Shell.Cli
open LogitStd.Shell.Models
open LogitStd.Shell.Export
open LogitStd.Shell.Persistence
open LogitStd.Models.Tests.Fixtures
open LogitStd.Export.Tests.Helpers

let exportOptions model weights format out : DeployCli.ExportOptions =
    { Model = model; Weights = weights; Format = format; Out = out; Opset = None; Features = false }

let run (o: DeployCli.ExportOptions) =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = LogitStd.Shell.ExitCodes.Run((fun () -> ExportCommand.Run(o, out, err)), err)
    code, out.ToString(), err.ToString()

/// A classifier with a layer the exporter does not know (Dropout), described honestly.
type private DropoutNet() as this =
    inherit Classifier(ModelInfo("dropout_net", "test", LogitStd.Core.Domain.Fashion_Mnist, 10, [| 1; 28; 28 |], 784, "fc.weight"))
    let head =
        torch.nn.Sequential(
            [| struct ("0", torch.nn.Dropout(0.5) :> torch.nn.Module<torch.Tensor, torch.Tensor>)
               struct ("1", torch.nn.Linear(784L, 10L) :> torch.nn.Module<torch.Tensor, torch.Tensor>) |])
    do this.RegisterComponents()
    override _.forward(x: torch.Tensor) =
        let f = x.flatten (1)
        struct (head.call f, f)
    interface IOnnxClassifier with
        member _.ExportOnnx(g, x) =
            let f = g.Flatten x
            struct (g.Module("head", head, f), f)

/// A classifier whose description forgets its second layer.
type private ForgetfulNet() as this =
    inherit Classifier(ModelInfo("forgetful_net", "test", LogitStd.Core.Domain.Fashion_Mnist, 10, [| 1; 28; 28 |], 10, "fc2.weight"))
    let fc1 = torch.nn.Linear(784L, 10L)
    let fc2 = torch.nn.Linear(10L, 10L)
    do this.RegisterComponents()
    override _.forward(x: torch.Tensor) =
        let f = fc1.call (x.flatten (1))
        struct (fc2.call f, f)
    interface IOnnxClassifier with
        member _.ExportOnnx(g, x) =
            let f = g.Module("fc1", fc1, g.Flatten x)
            struct (f, f)

/// A classifier that does not describe its graph at all.
type private OpaqueNet() as this =
    inherit Classifier(ModelInfo("opaque_net", "test", LogitStd.Core.Domain.Fashion_Mnist, 10, [| 1; 28; 28 |], 10, "fc.weight"))
    let fc = torch.nn.Linear(784L, 10L)
    do this.RegisterComponents()
    override _.forward(x: torch.Tensor) =
        let l = fc.call (x.flatten (1))
        struct (l, l)

let private exportError (model: Classifier) =
    try
        OnnxExporter.Export(model) |> ignore
        failwith "export should have failed"
    with :? OnnxExportException as e -> e.Message

let tests =
    testList "export command" [
        testCase "onnx from an mdistiller resnet8x4 checkpoint: ONNX Runtime gives PyTorch's logits (1e-4)" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "resnet8x4.onnx"
            let code, stdout, err = run (exportOptions "resnet8x4" (committed "resnet8x4.pth") DeployCli.Onnx out)
            Expect.equal code 0 err
            Expect.stringContains stdout "opset 17" "says the opset"
            let input, expected, _ = readIo (committed "resnet8x4.io.pt")
            use session = OnnxClassifierSession.Open(out, 2)
            let actual = session.Run(floats input, int input.shape.[0])
            let err = Array.map2 (fun (a: float32) b -> abs (float a - float b)) (floats expected) actual |> Array.max
            printfn "resnet8x4 ONNX Runtime vs PyTorch: max |Δlogit| = %.3g; file %d bytes" err (FileInfo(out).Length)
            Expect.isLessThanOrEqual err 1e-4 "PyTorch parity"

        testCase "pytorch: a bare state dict with the official file's keys and shapes, num_batches_tracked included" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "resnet8x4.pth"
            let code, _, err = run (exportOptions "resnet8x4" (committed "resnet8x4.pth") DeployCli.Pytorch out)
            Expect.equal code 0 err
            let official = PyTorchFormat.ReadStateDict(committed "resnet8x4.pth")
            let written = PyTorchFormat.ReadStateDict out
            let shapes (d: System.Collections.Generic.Dictionary<string, torch.Tensor>) = d |> Seq.map (fun kv -> kv.Key, List.ofArray kv.Value.shape) |> Map.ofSeq
            Expect.equal (shapes written) (shapes official) "same keys and shapes as mdistiller's file"
            for kv in official do
                Expect.isTrue (bitEqual kv.Value written.[kv.Key]) $"{kv.Key} unchanged"

        testCase "pytorch: torch.load + strict load_state_dict in PyTorch, with PyTorch's logits" <| fun () ->
            use dir = new TempDir()
            for model, io in [ "resnet8x4", Some "resnet8x4.io.pt"; "MobileNetV2", None; "ShuffleV2", None; "wrn_40_2", None; "vgg13", None ] do
                let ckpt = dir.File $"{model}.ckpt"
                use m = randomModel model 100 11L
                Checkpoints.Save(m, ckpt)
                let source = if model = "resnet8x4" then committed "resnet8x4.pth" else ckpt
                let out = dir.File $"{model}.pth"
                let code, _, err = run (exportOptions model source DeployCli.Pytorch out)
                Expect.equal code 0 err
                let ioFlag = io |> Option.map (fun f -> $" --io \"{committed f}\"") |> Option.defaultValue ""
                match runParityScript $"--check-load \"{out}\" --model {model}{ioFlag}" with
                | None -> skiptest "/usr/bin/python3 with torch is not installed (Debian python3-torch)"
                | Some(code, output) -> Expect.equal code 0 $"PyTorch refused the export of {model}:\n{output}"
                // The script also accepts mdistiller's nesting; the export must be the bare dict itself.
                let check = $"import torch; d = torch.load('{out}'); assert isinstance(d, dict) and 'model' not in d and all(torch.is_tensor(v) for v in d.values()), list(d)[:3]"
                let psi = System.Diagnostics.ProcessStartInfo("/usr/bin/python3", [| "-c"; check |], RedirectStandardError = true)
                use p = System.Diagnostics.Process.Start psi
                let stderr = p.StandardError.ReadToEnd()
                p.WaitForExit()
                Expect.equal p.ExitCode 0 $"a bare state dict of tensors: {stderr}"

        testCase "a checkpoint of another architecture is refused (exit 1), naming the file and model, and nothing is written" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "x.onnx"
            let code, stdout, err = run (exportOptions "resnet8" (committed "resnet8x4.pth") DeployCli.Onnx out)
            Expect.equal code 1 err
            Expect.stringContains err "resnet8x4.pth" "names the file"
            Expect.stringContains err "does not fit model 'resnet8'" "names the model"
            Expect.equal stdout "" "no work done"
            Expect.isFalse (File.Exists out) "no file"

        testCase "a missing checkpoint is exit 1 naming it; an unknown model is a usage error (2)" <| fun () ->
            let code, _, err = run (exportOptions "resnet8" "/nonexistent/w.pth" DeployCli.Onnx "/tmp/never.onnx")
            Expect.equal code 1 err
            Expect.stringContains err "/nonexistent/w.pth" "names the file"
            let code, _, err = run (exportOptions "resnet9" (committed "resnet8x4.pth") DeployCli.Onnx "/tmp/never.onnx")
            Expect.equal code 2 err
            Expect.stringContains err "unknown model 'resnet9'" "names the model"

        testCase "a layer the exporter does not know is named with its path and type" <| fun () ->
            use m = new DropoutNet()
            let msg = exportError m
            Expect.stringContains msg "'head.0'" "the module's path"
            Expect.stringContains msg "TorchSharp.Modules.Dropout" "the module's type"

        testCase "a description that leaves out a layer, or a model without one, is refused" <| fun () ->
            use forgetful = new ForgetfulNet()
            Expect.stringContains (exportError forgetful) "leaves out 2 state-dict tensor(s): fc2.weight, fc2.bias" "names what is missing"
            use opaque = new OpaqueNet()
            Expect.stringContains (exportError opaque) "cannot export model 'opaque_net'" "names the model"

        testCase "a perturbed batch-norm statistic after export is detected by the parity measure" <| fun () ->
            // The tolerance discriminates: the check would catch a running_var that was not exported.
            use model = randomModel "resnet8" 100 5L
            use session = openExported model OnnxExporter.DefaultOpset false
            let bn = model.modules () |> Seq.pick (function :? TorchSharp.Modules.BatchNorm2d as b -> Some b | _ -> None)
            (use _ = torch.no_grad () in bn.running_var.mul_(torch.tensor 2.0f) |> ignore)
            use x = randomInput model 3 1L
            let expected, _ = torchOutputs model x
            Expect.isGreaterThan (worstRelativeRowError 100 expected (session.Run(floats x, 3))) 1e-3 "a visible difference"
    ]
