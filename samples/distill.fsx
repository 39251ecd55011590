// Your own TorchSharp loop in an F# script with the LogitStd package: a teacher, then a KD+LS and a
// DKD+LS student, one epoch each on Fashion-MNIST, printing every named loss term.
// Run: dotnet fsi distill.fsx DATA_FOLDER   (the four Fashion-MNIST .gz files; default data/fashion-mnist)
#r "nuget: LogitStd, 0.1.0"
#r "nuget: libtorch-cpu-linux-x64, 2.10.0"

open System
open System.IO
open System.IO.Compression
open System.Runtime.InteropServices
open TorchSharp
open type TorchSharp.torch.nn
open LogitStd.Core

// Debian 12 only (a libstdc++ without GLIBCXX_3.4.32, which TorchSharp 0.107's libLibTorchSharp.so asks
// for): F# Interactive leaves out the MSBuild files of packages, so the package's fix cannot patch the
// copy it loads. LOGITSTD_LIBTORCHSHARP names a patched copy — any build of a project that references
// LogitStd has one in its output (runtimes/linux-x64/native/) —, loaded before TorchSharp's own.
match Environment.GetEnvironmentVariable "LOGITSTD_LIBTORCHSHARP" with
| null | "" -> ()
| path -> NativeLibrary.Load path |> ignore

let folder = match fsi.CommandLineArgs with [| _; f |] -> f | _ -> "data/fashion-mnist"

/// One gzipped IDX file: its dimensions and bytes; a bad file is an InvalidDataException naming it.
let readIdx (path: string) (magic: int) (rank: int) =
    if not (File.Exists path) then raise (FileNotFoundException(sprintf "%s: not found (dotnet cake --target=Data fetches Fashion-MNIST)" path, path))
    use reader = new BinaryReader(new GZipStream(File.OpenRead path, CompressionMode.Decompress))
    let bigEndian () = Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(ReadOnlySpan(reader.ReadBytes 4))
    let found = bigEndian ()
    if found <> magic then raise (InvalidDataException(sprintf "%s: IDX magic 0x%x, expected 0x%x" path found magic))
    let dims = Array.init rank (fun _ -> bigEndian ())
    let size = dims |> Array.fold (fun a d -> a * int64 d) 1L
    if dims |> Array.exists (fun d -> d <= 0) || size > 100_000_000L then raise (InvalidDataException(sprintf "%s: implausible dimensions %A" path dims))
    let bytes = reader.ReadBytes(int size)
    if int64 bytes.Length <> size then raise (InvalidDataException(sprintf "%s: truncated, %d of %d bytes" path bytes.Length size))
    dims, bytes

/// Images as normalised rows [N, 784] (the dataset's mean 0.2860 and std 0.3530), labels as int64 [N].
let load split =
    let dims, images = readIdx (Path.Combine(folder, sprintf "%s-images-idx3-ubyte.gz" split)) 0x803 3
    let _, labels = readIdx (Path.Combine(folder, sprintf "%s-labels-idx1-ubyte.gz" split)) 0x801 1
    let x = (torch.tensor(images, dtype = torch.uint8).reshape(int64 dims.[0], 784L).to_type(torch.float32) / 255.0f - 0.2860f) / 0.3530f
    x, torch.tensor(labels, dtype = torch.uint8).to_type(torch.int64)

let trainX, trainY = load "train"
let testX, testY = load "t10k"
torch.manual_seed 1L |> ignore

let mlp (hidden: int64) : Module<torch.Tensor, torch.Tensor> = Sequential(Linear(784L, hidden), ReLU(), Linear(hidden, 10L))

let accuracy (model: Module<torch.Tensor, torch.Tensor>) =
    use _scope = torch.NewDisposeScope()
    use _noGrad = torch.no_grad()
    model.eval()
    model.call(testX).argmax(1L).eq(testY).to_type(torch.float64).mean().item<float>()

let fit name (model: Module<torch.Tensor, torch.Tensor>) (objective: Objective.Objective) (teacher: Module<torch.Tensor, torch.Tensor> option) =
    let epoch = 1 // DKD's warm-up reads it: Distillation.Evaluate requires it there
    use optimizer = torch.optim.SGD(model.parameters(), 0.05, momentum = 0.9)
    model.train()
    teacher |> Option.iter (fun t -> t.eval())
    use generator = new torch.Generator(uint64 epoch)
    use order = torch.randperm(trainY.shape.[0], generator = generator)
    let batches = order.split(128L)
    for step in 1 .. batches.Length do
        use _scope = torch.NewDisposeScope() // releases this step's tensors, the batch's included
        let images, labels = trainX.index_select(0L, batches.[step - 1]), trainY.index_select(0L, batches.[step - 1])
        let logits = model.call images
        let teacherLogits =
            teacher |> Option.map (fun t -> use _noGrad = torch.no_grad() in t.call images) |> Option.toObj
        use loss = Distillation.Evaluate(objective, logits, labels, teacher = teacherLogits, epoch = epoch)
        optimizer.zero_grad()
        loss.Total.backward()
        optimizer.step() |> ignore
        if step % 100 = 0 then printfn "%s step %d: %O" name step (loss.ReadValues()) // total = ce … + kd …
    printfn "%s: %s, test accuracy %.1f %%" name (Objectives.Describe objective) (100.0 * accuracy model)

let teacher = mlp 256L
fit "teacher" teacher Objectives.CrossEntropy None
fit "KD+LS" (mlp 16L) (Objectives.Kd(temperature = 2.0, ceWeight = 0.1, kdWeight = 9.0, standardize = true)) (Some teacher)
fit "DKD+LS" (mlp 16L) (Objectives.Dkd(standardize = true)) (Some teacher)
