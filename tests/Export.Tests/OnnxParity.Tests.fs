/// Every model of the zoo, exported to ONNX, gives TorchSharp's eval-mode logits under ONNX Runtime
/// (within 1e-5 of each row's largest |logit|), at two batch sizes, with random batch-norm statistics.
module LogitStd.Export.Tests.OnnxParityTests

open Expecto
open LogitStd.Shell.Models
open LogitStd.Shell.Export
open LogitStd.Export.Tests.Helpers

/// The worst relative row error seen over the zoo, printed at the end of the list.
let mutable private worst = ("", 0.0)

let private parity (entry: ZooEntry) =
    // ImageNet models run at 224×224: batches of 1 and 2 keep the suite fast; the others use 1 and 3.
    let batches = if entry.Dataset = LogitStd.Core.Domain.Imagefolder then [ 1; 2 ] else [ 1; 3 ]
    testCase $"{entry.Name}: ONNX Runtime's logits equal TorchSharp's (batches {batches})" <| fun () ->
        let classes = if entry.Dataset = LogitStd.Core.Domain.Imagefolder then 1000 else entry.NativeClasses
        use model = randomModel entry.Name classes 7L
        let bytes = OnnxExporter.Export(model)
        printfn "%s: %d-byte ONNX file, %d nodes" entry.Name bytes.Length (OnnxExporter.Describe(model).Nodes.Count)
        use session = OnnxClassifierSession.Open(bytes, entry.Name, 2)
        for n in batches do
            use x = randomInput model n (100L + int64 n)
            let expected, _ = torchOutputs model x
            let actual = session.Run(floats x, n)
            let err = worstRelativeRowError classes expected actual
            if err > snd worst then worst <- (entry.Name, err)
            printfn "%s batch %d: max |Δlogit| / row max |logit| = %.2e" entry.Name n err
            Expect.isLessThanOrEqual err 1e-5 $"{entry.Name} batch {n}"

let tests =
    testList "onnx parity" [
        yield! ModelZoo.Entries |> Seq.map parity
        testCase "the features output equals the pooled feature, and metadata carries name, classes and normalisation" <| fun () ->
            use model = randomModel "ShuffleV2" 100 3L
            use session = openExported model OnnxExporter.DefaultOpset true
            use x = randomInput model 2 5L
            let _, expected = torchOutputs model x
            let actual = session.Run(floats x, 2, OnnxExporter.FeaturesName)
            let err = worstRelativeRowError model.Info.FeatureDim expected actual
            Expect.isLessThanOrEqual err 1e-5 "features"
            Expect.equal session.Model "ShuffleV2" "model name"
            Expect.equal session.Metadata.[OnnxExporter.Keys.Classes] "100" "class count"
            Expect.equal session.Metadata.[OnnxExporter.Keys.Mean] "0.5071,0.4867,0.4408" "CIFAR mean"
            Expect.equal session.Metadata.[OnnxExporter.Keys.Std] "0.2675,0.2565,0.2761" "CIFAR std"
            Expect.equal session.ClassNames.[0] "apple" "CIFAR-100 class names"
        for opset in [ 13; 21 ] do
            testCase $"opset {opset} loads and gives the same logits" <| fun () ->
                use model = randomModel "ShuffleV1" 100 4L
                use session = openExported model opset false
                use x = randomInput model 3 9L
                let expected, _ = torchOutputs model x
                Expect.isLessThanOrEqual (worstRelativeRowError 100 expected (session.Run(floats x, 3))) 1e-5 "parity"
        testCase "worst error over the zoo (printed)" <| fun () ->
            printfn "largest relative logit error over the zoo: %.2e (%s)" (snd worst) (fst worst)
            Expect.isLessThanOrEqual (snd worst) 1e-5 "within tolerance"
    ]
