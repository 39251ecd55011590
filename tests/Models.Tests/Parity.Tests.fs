/// Parity with PyTorch: eval-mode logits of the TorchSharp models on fixtures written by
/// tools/parity/make_parity.py — torchvision's own definitions for the ImageNet ResNets, the project's
/// own PyTorch definitions (from the architecture facts) for the CIFAR zoo; python3-torch 1.13 —
/// through Forward and Infer (channels-last), to 1e-5 of each row's scale. Where the generated
/// fixtures are absent the tests skip, unless LOGITSTD_REQUIRE_PARITY=1 (CI) makes that a failure.
module LogitStd.Models.Tests.ParityTests

open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Models
open LogitStd.Shell.Persistence
open LogitStd.Shell.Export
open LogitStd.Models.Tests.Fixtures

let tolerance = 1e-4

/// max |a − b| over max |b| per row, the largest over the rows.
let private rowRelative (a: torch.Tensor) (b: torch.Tensor) =
    use d = (a - b).abs().flatten(1L).amax([| 1L |]).to_type torch.float64
    use s = b.abs().flatten(1L).amax([| 1L |]).to_type(torch.float64).clamp_min(1e-30)
    (d / s).max().item<float> ()

/// Loads <name>.pth into the zoo model and runs the stored input through every path the program
/// runs a model in — Forward, Infer (channels-last), the evaluation model (`eval`), the frozen teacher
/// (the trainer's and the teacher cache's fill: BatchNorm folded, channels-last) and the ONNX export
/// under ONNX Runtime — and
/// compares logits and features with PyTorch's: 1e-5 of each row's scale (and 1e-4 absolute for the
/// CIFAR zoo, whose logits are small).
let private check (name: string) (weights: string) (io: string) =
    let input, expectedLogits, expectedFeature = readIo io
    let entry = ModelZoo.Describe name
    let classes = entry.NativeClasses
    use model = ModelZoo.Create(name, classes)
    Checkpoints.LoadInto(model, weights) |> ignore
    model.eval ()
    use _ = torch.no_grad ()
    use evaluated = Checkpoints.LoadForEvaluation(name, weights, classes)
    // The frozen teacher of a distillation run and of the teacher cache's fill: BatchNorm folded.
    use teacher = BatchNormFolding.FoldedCopy evaluated
    let onnx =
        use session = OnnxClassifierSession.Open(OnnxExporter.Export(model, includeFeatures = true), name, 2)
        let n = int input.shape[0]
        let x = input.contiguous().data<float32>().ToArray()
        let shaped (values: float32[]) = torch.tensor(values).reshape([| int64 n; -1L |])
        shaped (session.Run(x, n)), shaped (session.Run(x, n, OnnxExporter.FeaturesName))
    let paths =
        [ "Forward", model.Forward input
          "Infer", model.Infer input
          "eval", evaluated.Infer input
          "teacher", teacher.Infer input
          "ONNX", struct (fst onnx, snd onnx) ]
    for path, (struct (logits, feature)) in paths do
        let errLogits = maxAbsDiff logits expectedLogits
        let errFeature = maxAbsDiff feature expectedFeature
        let relLogits, relFeature = rowRelative logits expectedLogits, rowRelative feature expectedFeature
        // Printed so the run log records the parity error of every model.
        printfn "parity %-18s %-7s max |Δlogits| = %.3g (%.2e of the row), max |Δfeature| = %.3g (%.2e)" name path errLogits relLogits errFeature relFeature
        Expect.isLessThanOrEqual relLogits 1e-5 $"{name} {path} logits within 1e-5 of each row's scale"
        Expect.isLessThanOrEqual relFeature 1e-5 $"{name} {path} features within 1e-5 of each row's scale"
        if entry.Dataset <> LogitStd.Core.Domain.Imagefolder then
            Expect.isLessThanOrEqual errLogits tolerance $"{name} {path} logits within {tolerance}"
            Expect.isLessThanOrEqual errFeature tolerance $"{name} {path} features within {tolerance}"

/// One training step against PyTorch's (tools/parity/make_parity.py writes <name>.grad.pt): the same
/// weights and input, train-mode BatchNorm, cross-entropy on the stored labels, in float32 and in
/// float64. Returns (float32 loss error, float64 loss error, float64 gradient error, float32 gradient
/// error of ours and of PyTorch's, both against PyTorch's float64), gradient errors norm-wise over all
/// parameters.
let private trainingStep (name: string) =
    let weights, io, grad = generated (name + ".pth"), generated (name + ".io.pt"), generated (name + ".grad.pt")
    let input, _, _ = readIo io
    let expected = PyTorchFormat.ReadStateDict grad
    let step (dtype: torch.ScalarType) =
        use model = ModelZoo.Create(name, (ModelZoo.Describe name).NativeClasses)
        Checkpoints.LoadInto(model, weights) |> ignore
        model.``to`` dtype |> ignore
        model.train ()
        let struct (logits, _) = model.Forward(input.to_type dtype)
        use loss = torch.nn.functional.cross_entropy(logits, expected["labels"])
        loss.backward ()
        loss.to_type(torch.float64).item<float> (), [ for (n, p) in model.named_parameters () -> n, p.grad.to_type(torch.float64).detach().clone() ]
    let relative (a: float) (b: torch.Tensor) = abs (a - b.to_type(torch.float64).item<float> ()) / abs (b.to_type(torch.float64).item<float> ())
    let distance (grads: (string * torch.Tensor) list) (prefix: string) =
        let sq (t: torch.Tensor) = t.square().sum().item<float> ()
        let num = grads |> List.sumBy (fun (n, g) -> sq (g - expected[prefix + n].to_type torch.float64))
        let den = grads |> List.sumBy (fun (n, _) -> sq (expected[prefix + n].to_type torch.float64))
        sqrt num / sqrt den
    let loss32, grads32 = step torch.float32
    let loss64, grads64 = step torch.float64
    let torch32 = [ for n, _ in grads64 -> n, expected["grad." + n].to_type torch.float64 ]
    relative loss32 expected["loss"], relative loss64 expected["loss64"], distance grads64 "grad64.", distance grads32 "grad64.", distance torch32 "grad64."

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

/// The models whose fixtures `dotnet cake --target=ParityFixtures` generates: with the committed
/// resnet8 and resnet8x4, every one of the zoo's 29 (a test below says so).
let generatedModels =
    [ "resnet14"; "resnet20"; "resnet32"; "resnet44"; "resnet56"; "resnet110"; "resnet32x4"; "wrn_16_1"; "wrn_16_2"
      "wrn_40_1"; "wrn_40_2"; "vgg8"; "vgg11"; "vgg13"; "vgg16"; "vgg19"; "MobileNetV2"; "ShuffleV1"; "ShuffleV2"
      "ResNet50"; "ResNet18_imagenet"; "ResNet34_imagenet"; "ResNet50_imagenet"; "MobileNetV1"
      "fmnist_wide_cnn"; "fmnist_small_cnn"; "fmnist_mlp" ]

let tests =
    testList
        "Parity with PyTorch (eval mode, Forward and Infer, ≤ 1e-5 of each row)"
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
          for name in "resnet8" :: "resnet8x4" :: generatedModels do
              yield test $"{name}: a training step gives PyTorch's loss and gradients (float64: 1e-9; float32: the loss to 1e-5)" {
                  let file = generated (name + ".grad.pt")
                  if not (File.Exists file) then
                      let message = $"{file} absent: run `dotnet cake --target=ParityFixtures`"
                      if System.Environment.GetEnvironmentVariable "LOGITSTD_REQUIRE_PARITY" = "1" then failtest message else skiptest message
                  let loss32, loss64, grad64, ours32, theirs32 = trainingStep name
                  printfn "parity %-18s train   float64: loss %.1e gradients %.1e; float32: loss %.1e, gradients from float64: ours %.1e, PyTorch's %.1e" name loss64 grad64 loss32 ours32 theirs32
                  Expect.isLessThanOrEqual loss64 1e-9 "float64 loss"
                  Expect.isLessThanOrEqual grad64 1e-9 "float64 gradients, norm-wise over all parameters"
                  Expect.isLessThanOrEqual loss32 1e-5 "float32 loss"
                  // float32 gradients of a train-mode step at batch 2–4 are ill-conditioned in deep nets:
                  // PyTorch's own are up to 1.5e-2 from float64 (ResNet50_imagenet, MobileNetV1), and which
                  // implementation lands closer varies by model (docs/zoo-parity.md). Bound: 5e-2.
                  Expect.isLessThanOrEqual ours32 5e-2 "float32 gradients within float32's conditioning of float64's"
              }
          yield test "every model of the zoo has a PyTorch fixture" {
              Expect.equal (set ("resnet8" :: "resnet8x4" :: generatedModels)) (set ModelZoo.Names) "the parity list is the zoo"
          }
          for name in generatedModels do
              yield test name {
                  let weights, io = generated (name + ".pth"), generated (name + ".io.pt")
                  if not (File.Exists weights && File.Exists io) then
                      let message = $"{weights} absent: run `dotnet cake --target=ParityFixtures` to generate it (needs python3-torch and python3-torchvision)"
                      if System.Environment.GetEnvironmentVariable "LOGITSTD_REQUIRE_PARITY" = "1" then failtest message else skiptest message
                  check name weights io
              } ]
