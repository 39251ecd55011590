/// BatchNorm folded into its convolution: the folded teacher computes the unfolded one's logits to
/// float rounding, for every zoo model that has conv → BatchNorm pairs.
module LogitStd.Models.Tests.BatchNormFoldingTests

open Expecto
open TorchSharp
open TorchSharp.Modules
open LogitStd.Shell.Models

/// Running statistics and affine parameters away from their initial values (else folding is nearly trivial).
let private perturbBatchNorms (model: Classifier) (seed: int) =
    let g = new torch.Generator(uint64 seed)
    use _ = torch.no_grad ()
    for struct (_, m) in model.named_modules () do
        match m with
        | :? BatchNorm2d as bn ->
            let c = bn.running_mean.shape.[0]
            bn.running_mean.copy_(torch.randn([| c |], generator = g) * 0.5) |> ignore
            bn.running_var.copy_(torch.rand([| c |], generator = g) + 0.5) |> ignore
            bn.weight.copy_(torch.rand([| c |], generator = g) + 0.5) |> ignore
            bn.bias.copy_(torch.randn([| c |], generator = g) * 0.2) |> ignore
        | _ -> ()

let private logits (model: Classifier) (input: torch.Tensor) =
    use _ = torch.no_grad ()
    let struct (l, _) = model.Forward input
    l

let tests =
    testSequenced <| testList "BatchNorm folding" [
        for name in ModelZoo.Names do
          for sequential in [ false; true ] do
            testCase (sprintf "%s: folded logits equal the unfolded ones to float rounding%s" name (if sequential then " (Sequential pairs too)" else "")) <| fun () ->
                let classes = if ModelZoo.Describe(name).Dataset = LogitStd.Core.Domain.Fashion_Mnist then 10 else 100
                let make () =
                    torch.manual_seed 11L |> ignore
                    let m = ModelZoo.Create(name, classes)
                    perturbBatchNorms m 5
                    m.eval ()
                    m
                use plain = make ()
                use folded = make ()
                let pairs = BatchNormFolding.Fold(folded, includeSequential = sequential)
                let bns = plain.named_modules () |> Seq.filter (fun struct (_, m) -> m :? BatchNorm2d) |> Seq.length
                let found = BatchNormFolding.FindPairs plain
                if bns = 0 then Expect.isEmpty found "a model without BatchNorm has nothing to fold (and is left as it is)"
                else Expect.isNonEmpty found "conv → BatchNorm pairs found"
                Expect.equal pairs (found |> Seq.filter (fun struct (_, _, inSeq) -> sequential || not inSeq) |> Seq.length) "every pair asked for is folded"
                Expect.isLessThanOrEqual pairs bns "no BatchNorm folded twice"
                use scope = torch.NewDisposeScope()
                let shape = Array.append [| 2L |] (plain.Info.InputShape |> Seq.map int64 |> Seq.toArray)
                let input = torch.randn(shape, generator = new torch.Generator(3UL))
                let a, b = logits plain input, logits folded input
                let diff = (a - b).abs().max().item<float32>()
                let scale = a.abs().max().item<float32>()
                printfn "%s: %d of %d BatchNorms folded, max |Δ| %g at logit scale %g" name pairs bns diff scale
                Expect.isLessThanOrEqual (float diff) (1e-5 * float scale) "max |folded − unfolded| ≤ 1e-5 · max |logit|"
    ]
