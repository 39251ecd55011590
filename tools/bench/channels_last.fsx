// The channels-last memory format (Shell.CSharp/Models/MemoryFormat.cs), measured two ways on zoo
// models at random initialisation, 2 threads:
//   inference — eval mode, BatchNorm folded, no-grad, batch 64 (the frozen teacher's forward):
//               time per forward in the default layout and channels-last, and the logits' max
//               relative difference between the two;
//   training  — the gradient of sum(logits²) at every parameter in train mode (batch 64 for the
//               Fashion-MNIST CNNs, 16 for the CIFAR models), float32 in each layout against the
//               float64 default-layout gradient: max |g32 − g64| / max |g64| over all parameters.
//
//   dotnet build LogitStd.sln -c Release
//   dotnet fsi tools/bench/channels_last.fsx [model ...]     # default: the models of docs/benchmarks.md
#r "../../Shell.CSharp/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../../Shell.CSharp/bin/Release/net10.0/linux-x64/LogitStd.Core.dll"
#r "../../Shell.CSharp/bin/Release/net10.0/linux-x64/logitstd.dll"

open System.Diagnostics
open TorchSharp
open LogitStd.Shell.Models

torch.set_num_threads 2
let args = fsi.CommandLineArgs |> Array.skip 1
let models =
    if args.Length > 0 then List.ofArray args
    else [ "fmnist_small_cnn"; "fmnist_wide_cnn"; "resnet8x4"; "resnet32x4"; "resnet56"; "wrn_40_2"; "vgg13"; "MobileNetV2"; "ShuffleV2"; "ResNet50" ]

let inputOf (m: Classifier) (batch: int64) =
    let s = m.Info.InputShape
    torch.randn([| batch; int64 s[0]; int64 s[1]; int64 s[2] |], generator = new torch.Generator(11UL))

let msPerForward (m: Classifier) (x: torch.Tensor) (channelsLast: bool) =
    let run () =
        use scope = torch.NewDisposeScope()
        if channelsLast then m.Infer x |> ignore else m.Forward x |> ignore
    run (); run ()
    let n = 5
    let sw = Stopwatch.StartNew()
    for _ in 1..n do run ()
    sw.Elapsed.TotalMilliseconds / float n

let gradients (name: string) (classes: int) (batch: int64) (dtype: torch.ScalarType) (channelsLast: bool) =
    use scope = torch.NewDisposeScope()
    torch.manual_seed 7L |> ignore
    use m = ModelZoo.Create(name, classes)
    m.``to``(dtype) |> ignore
    m.train ()
    let x = (inputOf m batch).``to``(dtype)
    let x = if channelsLast then MemoryFormat.ToChannelsLast x else x
    let struct (logits, _) = m.Forward x
    logits.square().sum().backward ()
    torch.cat([| for p in m.parameters () -> p.grad.flatten().``to``(torch.float64) |]).MoveToOuterDisposeScope()

printfn "%-18s %12s %12s %8s %14s | %16s %16s" "model" "eval ms" "eval CL ms" "speedup" "logits Δ (rel)" "grad err default" "grad err CL"
for name in models do
    let classes = if name.StartsWith "fmnist" then 10 else 100
    use m = ModelZoo.Create(name, classes)
    m.eval ()
    BatchNormFolding.Fold m |> ignore
    let a, b, diff =
        use _ = torch.no_grad ()
        use scope = torch.NewDisposeScope()
        let x = inputOf m 64L
        let a, b = msPerForward m x false, msPerForward m x true
        let struct (l0, _) = m.Forward x
        let struct (l1, _) = m.Infer x
        a, b, (l1 - l0).abs().max().item<float32> () / l0.abs().max().item<float32> ()
    let batch = if name.StartsWith "fmnist" then 64L else 16L
    let reference = gradients name classes batch torch.float64 false
    let err (g: torch.Tensor) = (g - reference).abs().max().item<float> () / reference.abs().max().item<float> ()
    let e0 = err (gradients name classes batch torch.float32 false)
    let e1 = err (gradients name classes batch torch.float32 true)
    printfn "%-18s %12.1f %12.1f %7.2fx %14.1e | %16.1e %16.1e" name a b (a / b) diff e0 e1
