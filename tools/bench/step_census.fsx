// Where the memory of an online KD step goes: at each phase of the step (student forward, the end of
// the teacher's no-grad forward in its own dispose scope, the loss, backward, the end of the step's
// scope) it prints the tensors still held by C# handles in the current dispose scope, glibc's heap
// (mallinfo2: bytes in use, the arenas' size and their free part) and VmRSS / VmHWM. The phases are
// those of Shell.CSharp/Training/DistillationStep.cs, batch 64, 0.1·CE + 0.9·KD (T 4), SGD.
//
//   dotnet build LogitStd.sln -c Release
//   dotnet fsi tools/bench/step_census.fsx [student] [teacher] [steps]     # default resnet8x4 resnet32x4 4
//
// "malloc in use" at the end of the teacher's forward is the step's peak live set; the arena's free
// part is what glibc keeps resident after the tensors are freed (docs/benchmarks.md).
#r "../../Shell.CSharp/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../../Shell.CSharp/bin/Release/net10.0/linux-x64/LogitStd.Core.dll"
#r "../../Shell.CSharp/bin/Release/net10.0/linux-x64/logitstd.dll"

open System
open System.Runtime.InteropServices
open TorchSharp
open LogitStd.Shell.Models

[<Struct; StructLayout(LayoutKind.Sequential)>]
type Mallinfo2 =
    val arena: unativeint
    val ordblks: unativeint
    val smblks: unativeint
    val hblks: unativeint
    val hblkhd: unativeint
    val usmblks: unativeint
    val fsmblks: unativeint
    val uordblks: unativeint
    val fordblks: unativeint
    val keepcost: unativeint

[<DllImport("libc")>]
extern Mallinfo2 mallinfo2()

let mib (bytes: float) = bytes / 1048576.0

let residentKb key =
    IO.File.ReadLines "/proc/self/status"
    |> Seq.find (fun l -> l.StartsWith(key + ":"))
    |> fun l -> l.Substring(key.Length + 1).Replace("kB", "").Trim() |> float

let heap () =
    let m = mallinfo2 ()
    sprintf "malloc in use %.1f MiB (arenas %.1f, their free part %.1f, mmapped %.1f) | RSS %.1f MiB, peak %.1f MiB"
        (mib (float (m.uordblks + m.hblkhd))) (mib (float m.arena)) (mib (float m.fordblks)) (mib (float m.hblkhd))
        (residentKb "VmRSS" / 1024.0) (residentKb "VmHWM" / 1024.0)

let census (scope: DisposeScope) =
    let live =
        scope.DisposablesView
        |> Seq.choose (function
            | :? torch.Tensor as t when not t.IsInvalid -> Some t
            | _ -> None)
        |> Seq.toList
    sprintf "%d tensors held in the scope, %.1f MiB" live.Length (live |> List.sumBy (fun t -> float (t.NumberOfElements * t.ElementSize)) |> mib)

let argv = fsi.CommandLineArgs |> Array.skip 1
let arg i fallback = if argv.Length > i then argv[i] else fallback
let studentName, teacherName, steps = arg 0 "resnet8x4", arg 1 "resnet32x4", int (arg 2 "4")

torch.set_num_threads 1
let student = ModelZoo.Create(studentName, 100)
let teacher = ModelZoo.Create(teacherName, 100)
student.train ()
teacher.eval ()
let gen = new torch.Generator(7UL)
let shape = Array.append [| 64L |] (student.Info.InputShape |> Seq.map int64 |> Seq.toArray)
let images = torch.randn(shape, generator = gen)
let labels = torch.randint(0L, 100L, [| 64L |], dtype = torch.int64, generator = gen)
let optimizer = torch.optim.SGD(student.parameters (), 0.05, 0.9, 0.0, 5e-4, false)
printfn "%s → %s, batch 64, 1 thread; before the first step: %s" teacherName studentName (heap ())

for step in 1..steps do
    let scope = torch.NewDisposeScope()
    let struct (logits, _) = student.Forward images
    printfn "step %d, student forward:       %s | %s" step (census scope) (heap ())
    let teacherLogits =
        use _ = torch.no_grad ()
        use inner = torch.NewDisposeScope()
        let struct (t, _) = teacher.Forward images
        printfn "step %d, teacher forward's end: %s (its own scope) | %s" step (census inner) (heap ())
        t.MoveToOuterDisposeScope()
    let loss =
        torch.nn.functional.cross_entropy(logits, labels) * 0.1
        + LogitStd.Core.Distillation.Kd(logits, teacherLogits, 4.0) * 0.9
    printfn "step %d, loss:                  %s | %s" step (census scope) (heap ())
    optimizer.zero_grad ()
    loss.backward ()
    printfn "step %d, backward:              %s | %s" step (census scope) (heap ())
    optimizer.step () |> ignore
    scope.Dispose()
    printfn "step %d, after the step's scope: %s" step (heap ())
