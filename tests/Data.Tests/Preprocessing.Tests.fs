/// The ImageNet transforms against torchvision 0.14 + Pillow on the same files
/// (tools/imagenet/make_preprocessing.py writes the files and torchvision's tensors): within one grey
/// level on ≥ 99 % of the values. Measured: 100 % and a largest difference of 0 levels on all 32
/// tensors — PNG and JPEG alike, the greyscale and the CMYK JPEG included: Pillow's resampling is
/// reproduced to the bit, and SkiaSharp's JPEG decoder (libjpeg-turbo) gives Pillow's pixels here.
module LogitStd.Data.Tests.PreprocessingTests

open System
open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Data
open LogitStd.Shell.Persistence
open LogitStd.Tests.TestPaths

let private folder = repoFile "tests/fixtures/generated/preprocessing"
let private std = [| 0.229f; 0.224f; 0.225f |]

/// The share of values within one grey level, and the largest difference, in grey levels.
let private compare (ours: float32[]) (theirs: torch.Tensor) =
    let expected = theirs.data<float32>().ToArray()
    Expect.equal ours.Length expected.Length "tensor sizes"
    let plane = ours.Length / 3
    let levels = Array.init ours.Length (fun i -> abs (ours[i] - expected[i]) * std[i / plane] * 255.0f)
    let within = levels |> Array.filter (fun d -> d <= 1.0001f) |> Array.length
    float within / float levels.Length, Array.max levels

let private fixtures () =
    let file = Path.Combine(folder, "preprocessing.pt")
    if not (File.Exists file) then
        let message = $"{file} absent: run `dotnet cake --target=ParityFixtures` (needs python3-torchvision)"
        if Environment.GetEnvironmentVariable "LOGITSTD_REQUIRE_PARITY" = "1" then failtest message else skiptest message
    PyTorchFormat.ReadStateDict file

let private check (key: string) (ours: float32[]) (theirs: torch.Tensor) =
    let share, worst = compare ours theirs
    printfn "preprocessing %-48s within one level %6.2f %%, max %.2f levels" key (100.0 * share) worst
    Expect.isGreaterThanOrEqual share 0.99 $"{key}: ≥ 99 %% of the values within one grey level"

let tests =
    testList
        "ImageNet preprocessing against torchvision (PIL)"
        [ test "evaluation: Resize(256), CenterCrop(224), normalisation" {
              let tensors = fixtures ()
              let transform = Transforms.ImageNetEval()
              for KeyValue(key, theirs) in tensors do
                  if key.StartsWith "eval/" then
                      let image = ImageFolderDataset.Decode(Path.Combine(folder, key.Substring 5))
                      let ours = Array.zeroCreate<float32> (3 * 224 * 224)
                      let mutable random = SampleRandom(0UL)
                      transform.Apply(image, ours.AsSpan(), &random)
                      check key ours theirs
          }

          test "training: resized_crop of a given RandomResizedCrop draw (+ flip)" {
              let tensors = fixtures ()
              let transform = Transforms.ImageNetTrain() :?> ResizedCropTransform
              for KeyValue(key, theirs) in tensors do
                  if key.StartsWith "crop/" then
                      let parts = key.Split '/'
                      let image = ImageFolderDataset.Decode(Path.Combine(folder, parts[1]))
                      let box = parts[2].Split '_' |> Array.map int
                      let ours = Array.zeroCreate<float32> (3 * 224 * 224)
                      transform.CropResize(image, box[0], box[1], box[2], box[3], (box[4] = 1), ours.AsSpan())
                      check key ours theirs
          }

          test "Pillow's resampling reproduced: an upscale and a downscale of a ramp by hand" {
              // 1×4 → 1×2: scale 2, so the triangle's support is 2 and the window of output x, centred at
              // 2x + 1, is [⌊centre − 1.5⌋, ⌊centre + 2.5⌋) clipped to the image:
              // x = 0: taps 0, 1, 2, weights 0.75, 0.75, 0.25 → (0·3 + 100·3 + 200·1) / 7 = 71.4 → 71;
              // x = 1: taps 1, 2, 3, weights 0.25, 0.75, 0.75 → (100·1 + 200·3 + 250·3) / 7 = 207.1 → 207.
              let down = PilResize.Resize([| 0uy; 100uy; 200uy; 250uy |], 1, 1, 4, 1, 2)
              Expect.sequenceEqual down [| 71uy; 207uy |] "downscale"
              let up = PilResize.Resize([| 0uy; 200uy |], 1, 1, 2, 1, 4)
              // 1×2 → 1×4: scale 0.5, support 1, centres 0.25, 0.75, 1.25, 1.75 → 0, 0.25·200, 0.75·200, 200.
              Expect.sequenceEqual up [| 0uy; 50uy; 150uy; 200uy |] "upscale"
          } ]
