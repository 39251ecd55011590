/// Parity with PyTorch: eval-mode logits of the TorchSharp models on fixtures written by
/// tools/parity/make_parity.py (the project's own PyTorch definitions, python3-torch 1.13).
module LogitStd.Models.Tests.ParityTests

open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Models
open LogitStd.Shell.Persistence
open LogitStd.Models.Tests.Fixtures

let tolerance = 1e-4

/// Loads <name>.pth into the zoo model, runs the stored input, and compares logits and features.
let private check (name: string) (weights: string) (io: string) =
    let input, expectedLogits, expectedFeature = readIo io
    use model = ModelZoo.Create(name, 100)
    Checkpoints.LoadInto(model, weights) |> ignore
    model.eval ()
    use _ = torch.no_grad ()
    let struct (logits, feature) = model.Forward input
    let errLogits = maxAbsDiff logits expectedLogits
    let errFeature = maxAbsDiff feature expectedFeature
    // Printed so the run log records the parity error of every model.
    printfn "parity %-12s max |Δlogits| = %.3g, max |Δfeature| = %.3g" name errLogits errFeature
    Expect.isLessThanOrEqual errLogits tolerance $"{name} logits within {tolerance}"
    Expect.isLessThanOrEqual errFeature tolerance $"{name} features within {tolerance}"

/// Decodes CIFAR-100 binary records (coarse byte, fine byte, 3072 channel-major pixels) and normalises
/// them as PAPER.md §4 says; written here, independently of the data pipeline, as a second opinion.
let private cifarBatch (path: string) =
    let bytes = File.ReadAllBytes path
    let n = bytes.Length / 3074
    let pixels = Array.init (n * 3072) (fun i -> float32 bytes[(i / 3072) * 3074 + 2 + i % 3072] / 255.0f)
    let labels = Array.init n (fun i -> int64 bytes[i * 3074 + 1])
    let shaped (values: float32[]) (dims: int64[]) = torch.tensor(values).reshape(dims)
    use x = shaped pixels [| int64 n; 3L; 32L; 32L |]
    use mean = shaped [| 0.5071f; 0.4867f; 0.4408f |] [| 1L; 3L; 1L; 1L |]
    use std = shaped [| 0.2675f; 0.2565f; 0.2761f |] [| 1L; 3L; 1L; 1L |]
    (x - mean) / std, labels

let tests =
    testList
        "Parity with PyTorch (eval mode, ≤ 1e-4)"
        [ yield test "resnet8x4 (committed fixture, mdistiller {\"model\": …} layout)" {
              check "resnet8x4" (committed "resnet8x4.pth") (committed "resnet8x4.io.pt")
          }
          yield test "resnet8x4 on a CIFAR-100 binary file gives PyTorch's logits (the issue's Done-when)" {
              let input, labels = cifarBatch (committed "cifar100-sample.bin")
              let _, expected, _ = readIo (committed "resnet8x4.cifar100-sample.io.pt")
              let stored = (PyTorchFormat.ReadStateDict(committed "resnet8x4.cifar100-sample.io.pt")).["labels"]
              Expect.sequenceEqual labels (stored.data<int64>().ToArray()) "fine labels decoded"
              use model = Checkpoints.LoadForEvaluation("resnet8x4", committed "resnet8x4.pth", 100)
              use _ = torch.no_grad ()
              let struct (logits, _) = model.Forward input
              let err = maxAbsDiff logits expected
              printfn "parity resnet8x4 on cifar100-sample.bin: max |Δlogits| = %.3g" err
              Expect.isLessThanOrEqual err tolerance "logits within 1e-4"
          }
          yield test "resnet8 (committed fixture)" { check "resnet8" (committed "resnet8.pth") (committed "resnet8.io.pt") }
          for name in [ "wrn_40_2"; "vgg13"; "MobileNetV2"; "ShuffleV2" ] do
              yield test name {
                  let weights, io = generated (name + ".pth"), generated (name + ".io.pt")
                  if not (File.Exists weights && File.Exists io) then
                      skiptest $"{weights} absent: run `dotnet cake --target=ParityFixtures` to generate it"
                  check name weights io
              } ]
