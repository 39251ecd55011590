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

let tests =
    testList
        "Parity with PyTorch (eval mode, ≤ 1e-4)"
        [ yield test "resnet8x4 (committed fixture, mdistiller {\"model\": …} layout)" {
              check "resnet8x4" (committed "resnet8x4.pth") (committed "resnet8x4.io.pt")
          }
          yield test "resnet8 (committed fixture)" { check "resnet8" (committed "resnet8.pth") (committed "resnet8.io.pt") }
          for name in [ "wrn_40_2"; "vgg13"; "MobileNetV2"; "ShuffleV2" ] do
              yield test name {
                  let weights, io = generated (name + ".pth"), generated (name + ".io.pt")
                  if not (File.Exists weights && File.Exists io) then
                      skiptest $"{weights} absent: run `dotnet cake --target=ParityFixtures` to generate it"
                  check name weights io
              } ]
