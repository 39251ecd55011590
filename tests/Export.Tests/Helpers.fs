/// Seeded models with non-trivial batch-norm statistics, and the comparison of ONNX Runtime's
/// logits with TorchSharp's.
module LogitStd.Export.Tests.Helpers

open TorchSharp
open TorchSharp.Modules
open LogitStd.Shell.Models
open LogitStd.Shell.Export

/// A zoo model from seed `seed`, its batch norms given random affine parameters and running
/// statistics (mean ~ N(0, 0.2²), var ~ U(0.5, 1.5)), so that the exported normalisation is
/// really exercised; in eval mode.
let randomModel (name: string) (classes: int) (seed: int64) : Classifier =
    torch.manual_seed seed |> ignore
    let model = ModelZoo.Create(name, classes)
    use _ = torch.no_grad ()
    for m in model.modules () do
        match m with
        | :? BatchNorm2d as bn ->
            let c = bn.num_features
            bn.running_mean.copy_(torch.randn(c).mul(torch.tensor 0.2f)) |> ignore
            bn.running_var.copy_(torch.rand(c).add(torch.tensor 0.5f)) |> ignore
            bn.weight.copy_(torch.rand(c).mul(torch.tensor 0.4f).add(torch.tensor 0.8f)) |> ignore
            bn.bias.copy_(torch.randn(c).mul(torch.tensor 0.1f)) |> ignore
        | _ -> ()
    model.eval ()
    model

/// A seeded random batch (N, C, H, W) for the model's input shape.
let randomInput (model: Classifier) (n: int) (seed: int64) =
    torch.manual_seed seed |> ignore
    let s = model.Info.InputShape
    torch.randn([| int64 n; int64 s.[0]; int64 s.[1]; int64 s.[2] |])

/// TorchSharp's eval-mode (logits, features) as flat float arrays.
let torchOutputs (model: Classifier) (x: torch.Tensor) =
    use _ = torch.no_grad ()
    use scope = torch.NewDisposeScope()
    let struct (logits, feature) = model.Forward x
    logits.contiguous().data<float32>().ToArray(), feature.contiguous().data<float32>().ToArray()

/// The largest |a − b| of each row divided by that row's max |a| (the row's scale).
let worstRelativeRowError (k: int) (expected: float32[]) (actual: float32[]) =
    if expected.Length <> actual.Length then failwithf "lengths %d and %d" expected.Length actual.Length
    [ for r in 0 .. expected.Length / k - 1 ->
        let row = [ r * k .. r * k + k - 1 ]
        let scale = row |> List.map (fun i -> abs (float expected.[i])) |> List.max
        let err = row |> List.map (fun i -> abs (float expected.[i] - float actual.[i])) |> List.max
        err / max scale 1e-12 ]
    |> List.max

/// Flat float copy of a tensor.
let floats (t: torch.Tensor) = t.contiguous().data<float32>().ToArray()

/// Exports and opens the model with ONNX Runtime.
let openExported (model: Classifier) (opset: int) (features: bool) =
    OnnxClassifierSession.Open(OnnxExporter.Export(model, opset, features), model.Info.Name, 2)
