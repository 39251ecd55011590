/// The zoo: names, parameter counts against PAPER.md §5, forward shapes and mdistiller's initialisation.
module LogitStd.Models.Tests.ModelZooTests

open System
open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Models
open LogitStd.Shell.Cli

/// PAPER.md §5 (100 classes; the ImageNet rows at 1000 classes).
let paperCounts =
    [ "resnet20", 100, 278_324L
      "resnet32", 100, 472_756L
      "resnet56", 100, 861_620L
      "resnet110", 100, 1_736_564L
      "resnet8x4", 100, 1_233_540L
      "resnet32x4", 100, 7_433_860L
      "wrn_16_2", 100, 703_284L
      "wrn_40_1", 100, 569_780L
      "wrn_40_2", 100, 2_255_156L
      "vgg8", 100, 3_965_028L
      "vgg13", 100, 9_462_180L
      "MobileNetV2", 100, 812_836L
      "ShuffleV1", 100, 949_258L
      "ShuffleV2", 100, 1_355_528L
      "ResNet50", 100, 23_705_252L
      "ResNet18_imagenet", 1000, 11_689_512L
      "ResNet34_imagenet", 1000, 21_797_672L
      "ResNet50_imagenet", 1000, 25_557_032L
      "MobileNetV1", 1000, 4_231_976L ]

let private shapeOf (t: torch.Tensor) = t.shape |> Array.toList

/// Forward on a batch in eval mode; returns the logits and feature shapes.
let private forwardShapes (name: string) classes (batch: int64) (hw: int64 option) =
    use model = ModelZoo.Create(name, classes)
    model.eval ()
    use _ = torch.no_grad ()
    use scope = torch.NewDisposeScope()
    let info = model.Info
    let c = int64 info.InputShape[0]
    let h = defaultArg hw (int64 info.InputShape[1])
    let w = defaultArg hw (int64 info.InputShape[2])
    let struct (logits, feature) = model.Forward(torch.randn([| batch; c; h; w |]))
    shapeOf logits, shapeOf feature, info.FeatureDim

/// A seeded random batch at the model's input shape (ImageNet models at 64×64, to keep the suite fast).
let private zooInput (model: Classifier) (batch: int64) (seed: uint64) =
    let input = model.Info.InputShape
    let hw = if model.Info.Dataset = LogitStd.Core.Domain.Imagefolder then 64L else int64 input[1]
    torch.randn([| batch; int64 input[0]; hw; hw |], generator = new torch.Generator(seed))

let tests =
    testList
        "ModelZoo"
        [ testList
              "parameter counts equal PAPER.md §5"
              [ for name, classes, expected in paperCounts ->
                    test name {
                        use model = ModelZoo.Create(name, classes)
                        Expect.equal model.ParameterCount expected $"{name} at {classes} classes"
                    } ]

          test "Fashion-MNIST models have clearly different capacities" {
              let count name =
                  use m = ModelZoo.Create(name, 10)
                  m.ParameterCount
              let teacher, small, mlp = count "fmnist_wide_cnn", count "fmnist_small_cnn", count "fmnist_mlp"
              Expect.isTrue (teacher > 900_000L && teacher < 1_100_000L) $"teacher ~1M, got {teacher}"
              Expect.isTrue (small >= 20_000L && small <= 50_000L) $"small CNN 20-50k, got {small}"
              Expect.isTrue (mlp >= 20_000L && mlp <= 60_000L) $"MLP 20-60k, got {mlp}"
              Expect.isTrue (teacher > 15L * max small mlp) "teacher is over 15x either student"
          }

          testList
              "forward returns (N, K) logits and (N, D) pooled features"
              [ for entry in ModelZoo.Entries ->
                    test entry.Name {
                        // Big models at batch 1, ImageNet ones at 64×64, to keep the suite fast.
                        let big = entry.Dataset = LogitStd.Core.Domain.Imagefolder || entry.Name = "ResNet50" || entry.Name.StartsWith "vgg"
                        let batch = if big then 1L else 2L
                        let hw = if entry.Dataset = LogitStd.Core.Domain.Imagefolder then Some 64L else None
                        let logits, feature, dim = forwardShapes entry.Name 7 batch hw
                        Expect.equal logits [ batch; 7L ] "logits"
                        Expect.equal feature [ batch; int64 dim ] "feature"
                    } ]

          testList
              "a training forward frees its intermediates: only the logits and the feature stay in the caller's scope, and backward still reaches every parameter"
              [ for entry in ModelZoo.Entries ->
                    test entry.Name {
                        // Batch 2 (train-mode BatchNorm needs two values per channel), ImageNet models at 64×64.
                        use model = ModelZoo.Create(entry.Name, 7)
                        model.train ()
                        use scope = torch.NewDisposeScope()
                        let x = zooInput model 2L 3UL
                        let before = scope.DisposablesCount
                        let struct (logits, feature) = model.Forward x
                        Expect.equal (scope.DisposablesCount - before) 2 "tensors the forward left in the scope (logits, feature)"
                        (logits.sum() + feature.sum()).backward ()
                        for name, p in model.named_parameters () do
                            Expect.isNotNull p.grad $"{name} has a gradient"
                            Expect.isTrue (p.grad.isfinite().all().item<bool> ()) $"{name}'s gradient is finite"
                    } ]

          testList
              "the inference forward (channels-last input) gives the default forward's logits and feature to float32 rounding, and leaves only those in the caller's scope"
              [ for entry in ModelZoo.Entries ->
                    test entry.Name {
                        use model = ModelZoo.Create(entry.Name, 7)
                        model.eval ()
                        use _ = torch.no_grad ()
                        let big = entry.Dataset = LogitStd.Core.Domain.Imagefolder || entry.Name = "ResNet50" || entry.Name.StartsWith "vgg"
                        use scope = torch.NewDisposeScope()
                        let x = zooInput model (if big then 1L else 3L) 5UL
                        let struct (logits, feature) = model.Forward x
                        let before = scope.DisposablesCount
                        let struct (l, f) = model.Infer x
                        Expect.equal (scope.DisposablesCount - before) 2 "tensors Infer left in the scope (logits, feature)"
                        Expect.isFalse (MemoryFormat.IsChannelsLast x && model.Info.InputShape[0] > 1) "the caller's input keeps its layout"
                        let rel (a: torch.Tensor) (b: torch.Tensor) =
                            (a - b).abs().max().item<float32> () / max 1e-30f (b.abs().max().item<float32> ())
                        Expect.isLessThan (rel l logits) 1e-5f "logits, max relative difference"
                        Expect.isLessThan (rel f feature) 1e-5f "feature, max relative difference"
                    } ]

          test "channels-last: same shape and values, NHWC strides, no copy when C = 1 or already channels-last, a view's storage offset kept, gradients flow back" {
              use _scope = torch.NewDisposeScope()
              let x = torch.randn([| 2L; 3L; 4L; 5L |], generator = new torch.Generator(1UL)).requires_grad_(true)
              let c = MemoryFormat.ToChannelsLast x
              Expect.equal (c.shape |> Array.toList) [ 2L; 3L; 4L; 5L ] "shape"
              Expect.equal (c.stride () |> Array.toList) [ 60L; 1L; 15L; 3L ] "NHWC strides"
              Expect.isTrue (MemoryFormat.IsChannelsLast c) "recognised"
              Expect.isFalse (MemoryFormat.IsChannelsLast x) "the default layout is not"
              Expect.isTrue (c.eq(x).all().item<bool> ()) "values"
              Expect.isTrue (obj.ReferenceEquals(MemoryFormat.ToChannelsLast c, c)) "already channels-last: itself"
              let g = torch.autograd.grad([| (c * c).sum() |], [| x |])[0]
              Expect.isTrue (g.eq(x * 2.0f).all().item<bool> ()) "gradient of sum(x²) reaches x"
              // C = 1: the memory is already in NHWC order; only the strides change.
              let big = torch.randn([| 4L; 1L; 3L; 3L |], generator = new torch.Generator(2UL))
              let slice = big.narrow(0, 2L, 2L)
              let one = MemoryFormat.ToChannelsLast slice
              Expect.equal (one.stride () |> Array.toList) [ 9L; 1L; 3L; 1L ] "C = 1 strides"
              Expect.equal (one.storage_offset ()) (slice.storage_offset ()) "the slice's offset into its storage"
              Expect.isTrue (one.eq(slice).all().item<bool> ()) "C = 1 values of the slice"
              let t = torch.randn([| 6L; 4L |])
              Expect.isTrue (obj.ReferenceEquals(MemoryFormat.ToChannelsLast t, t)) "not 4-D: itself"
          }

          test "names match without regard to case and come back canonical" {
              use m = ModelZoo.Create("RESNET8X4", 100)
              Expect.equal m.Info.Name "resnet8x4" "canonical name"
              use s = ModelZoo.Create("shufflev2", 10)
              Expect.equal s.Info.Name "ShuffleV2" "canonical name"
              Expect.equal s.Info.Classes 10 "classes"
          }

          test "an unknown name is an error listing every valid name" {
              let ex =
                  try
                      ModelZoo.Create("resnet9", 100) |> ignore
                      failwith "no exception"
                  with :? UnknownModelException as ex -> ex
              Expect.stringContains ex.Message "resnet9" "names the request"
              for name in ModelZoo.Names do
                  Expect.stringContains ex.Message name "lists every valid name"
          }

          test "the zoo holds every model of the issue" {
              let wanted =
                  [ "resnet8"; "resnet14"; "resnet20"; "resnet32"; "resnet44"; "resnet56"; "resnet110"; "resnet8x4"
                    "resnet32x4"; "wrn_16_1"; "wrn_16_2"; "wrn_40_1"; "wrn_40_2"; "vgg8"; "vgg11"; "vgg13"; "vgg16"
                    "vgg19"; "MobileNetV2"; "ShuffleV1"; "ShuffleV2"; "ResNet50"; "ResNet18_imagenet"
                    "ResNet34_imagenet"; "ResNet50_imagenet"; "MobileNetV1"; "fmnist_wide_cnn"; "fmnist_small_cnn"
                    "fmnist_mlp" ]
              Expect.sequenceEqual ModelZoo.Names wanted "names in listing order"
          }

          test "initialisation follows mdistiller (conv N(0, 2/fan_out), BN 1/0, VGG head N(0, 0.01) bias 0)" {
              torch.manual_seed 7L |> ignore
              use vgg = ModelZoo.Create("vgg8", 100)
              let sd = vgg.state_dict ()
              let std (t: torch.Tensor) = t.std().ToDouble()
              // block3.0 is a 256→512 3×3 conv: 1.18M draws, so the sample std is within 1% of √(2/(9·512)).
              let expected = sqrt (2.0 / (9.0 * 512.0))
              Expect.floatClose { absolute = 0.0; relative = 0.01 } (std sd["block3.0.weight"]) expected "conv std"
              Expect.equal (sd["block3.0.bias"].abs().max().ToDouble()) 0.0 "conv bias zero"
              Expect.floatClose { absolute = 0.0; relative = 0.05 } (std sd["classifier.weight"]) 0.01 "head std"
              Expect.equal (sd["classifier.bias"].abs().max().ToDouble()) 0.0 "head bias zero"
              Expect.equal (sd["block0.1.weight"].min().ToDouble()) 1.0 "BN weight 1"
              Expect.equal (sd["block0.1.bias"].abs().max().ToDouble()) 0.0 "BN bias 0"
              use r = ModelZoo.Create("resnet32x4", 100)
              let rsd = r.state_dict ()
              Expect.floatClose
                  { absolute = 0.0; relative = 0.01 }
                  (std rsd["layer3.4.conv2.weight"])
                  (sqrt (2.0 / (9.0 * 256.0)))
                  "kaiming fan_out"
          }

          test "state-dict keys are PyTorch's (spot checks per family)" {
              let keys name =
                  use m = ModelZoo.Create(name, 100)
                  m.state_dict().Keys |> Set.ofSeq
              let has name key = Expect.isTrue ((keys name).Contains key) $"{name} has {key}"
              has "resnet8x4" "layer1.0.downsample.0.weight"
              has "resnet8x4" "bn1.running_var"
              has "wrn_40_2" "block2.layer.0.convShortcut.weight"
              has "vgg13" "block1.4.running_mean"
              has "MobileNetV2" "blocks.6.0.conv.7.weight"
              has "MobileNetV2" "classifier.0.bias"
              has "ShuffleV1" "layer3.3.conv3.weight"
              has "ShuffleV2" "layer2.0.conv5.weight"
              has "ResNet50" "layer4.0.shortcut.1.weight"
              has "ResNet18_imagenet" "layer2.0.downsample.1.weight"
              has "MobileNetV1" "model.13.3.weight"
          }

          test "logitstd models lists every model with PAPER.md §5 counts" {
              use out = new StringWriter()
              use err = new StringWriter()
              let code = ModelsCommand.Run(100, out, err)
              Expect.equal code 0 "exit code"
              let text = out.ToString()
              for name in ModelZoo.Names do
                  Expect.stringContains text name "lists the model"
              for _, _, count in paperCounts do
                  Expect.stringContains text (count.ToString("N0", Globalization.CultureInfo.InvariantCulture)) "shows the count"
          } ]
