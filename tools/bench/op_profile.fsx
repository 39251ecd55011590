// The small CNN's non-convolution operators, one at a time, in TorchSharp/libtorch 2.10: the
// LogitStd half of tools/bench/op_profile.py (same shapes, order and repetitions; 2 threads). Each
// call runs in its own dispose scope, as the trainer's step does.
//
//   dotnet build LogitStd.sln -c Release
//   dotnet fsi tools/bench/op_profile.fsx
#r "../../Shell.CSharp/bin/Release/net10.0/linux-x64/TorchSharp.dll"
open System.Diagnostics
open TorchSharp
type F = TorchSharp.torch.nn.functional
torch.set_num_threads 2
let bench (name: string) (f: unit -> unit) =
    let n = 200
    for _ in 1..10 do (use s = torch.NewDisposeScope() in f())
    let sw = Stopwatch.StartNew()
    for _ in 1..n do (use s = torch.NewDisposeScope() in f())
    printfn "%-40s %9.1f us" name (sw.Elapsed.TotalMilliseconds * 1000.0 / float n)
for (c, h) in [(16L, 28L); (32L, 14L); (64L, 7L)] do
    let x = torch.randn([|64L; c; h; h|], requires_grad = true)
    let w = torch.ones([|c|], requires_grad = true)
    let b = torch.zeros([|c|], requires_grad = true)
    let rm, rv = torch.zeros([|c|]), torch.ones([|c|])
    let g = torch.randn([|64L; c; h; h|])
    bench $"bn fwd {c}x{h}" (fun () -> F.batch_norm(x.detach(), rm, rv, w.detach(), b.detach(), true, 0.1, 1e-5) |> ignore)
    bench $"bn fwd+bwd {c}x{h}" (fun () -> torch.autograd.grad([|F.batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5)|], [|x; w; b|], [|g|]) |> ignore)
    bench $"relu {c}x{h}" (fun () -> F.relu(x.detach()) |> ignore)
    bench $"relu fwd+bwd {c}x{h}" (fun () -> torch.autograd.grad([|F.relu(x)|], [|x|], [|g|]) |> ignore)
    if h > 7L then
        let gp = torch.randn([|64L; c; h / 2L; h / 2L|])
        bench $"maxpool fwd {c}x{h}" (fun () -> F.max_pool2d(x.detach(), 2L) |> ignore)
        bench $"maxpool fwd+bwd {c}x{h}" (fun () -> torch.autograd.grad([|F.max_pool2d(x, 2L)|], [|x|], [|gp|]) |> ignore)
