/// The persistent teacher cache: the loader's view numbers, the cached logits against the teacher run
/// online, and every way a cache file is refused (another teacher, dataset or transform; truncated;
/// a damaged header or chunk), and an interrupted fill completing to the same bytes.
module LogitStd.Shell.Tests.TeacherCacheTests

open System
open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell
open LogitStd.Shell.Data
open LogitStd.Shell.Models
open LogitStd.Shell.Persistence
open LogitStd.Shell.TeacherCache
open LogitStd.Shell.Tests.TestFiles

let private images, private classes = 24, 10

let private dataset (seed: int) =
    let rng = Random(seed)
    let pixels = Array.zeroCreate<byte> (images * 28 * 28)
    rng.NextBytes pixels
    InMemoryImageDataset("fashion-mnist", "train", "synthetic", pixels, Array.init images (fun i -> i % classes),
                         [ for c in 0 .. classes - 1 -> sprintf "c%d" c ], 1, 28, 28)

let private augmented () = Transforms.FashionMnistTrain(crop = true, flip = true) :?> IViewTransform

/// A seeded fmnist_small_cnn (it has BatchNorm) saved as a PyTorch state dict.
let private teacher (seed: int) (file: string) =
    torch.manual_seed (int64 seed) |> ignore
    let m = ModelZoo.Create("fmnist_small_cnn", classes)
    Checkpoints.SavePyTorch(m, file)
    m.eval ()
    m

let private expectRefused (f: unit -> unit) (file: string) (text: string) =
    try f (); failtest "not refused" with
    | :? TeacherCacheException as e ->
        Expect.stringContains e.Message file "the message names the file"
        Expect.stringContains e.Message text "and what is wrong"
        Expect.isTrue ((e :> exn) :? InputException) "an input error (exit 1)"

let tests =
    testSequenced <| testList "teacher cache" [
        testCase "a crop-flip view is what Apply draws, and Render reproduces it bit for bit" <| fun () ->
            let t = Transforms.CifarTrain() :?> CropFlipTransform
            Expect.equal t.ViewCount 162 "CIFAR: 9 × 9 offsets × 2 flips"
            for v in 0 .. t.ViewCount - 1 do
                let struct (dy, dx, flip) = t.DrawOf v
                Expect.equal (t.ViewOf(dy, dx, flip)) v "ViewOf inverts DrawOf"
            let rng = Random(3)
            let pixels = Array.zeroCreate<byte> (3 * 32 * 32)
            rng.NextBytes pixels
            let image = ImageView(ReadOnlyMemory<byte>(pixels), 3, 32, 32)
            let seen = Collections.Generic.HashSet<int>()
            for i in 0 .. 999 do
                let a, b, c = Array.zeroCreate<float32> 3072, Array.zeroCreate<float32> 3072, Array.zeroCreate<float32> 3072
                let mutable r1 = SampleRandom.For(7L, 1, i, 0)
                let mutable r2 = SampleRandom.For(7L, 1, i, 0)
                (t :> IImageTransform).Apply(image, Span<float32>(a), &r1)
                let v = t.ApplyView(image, Span<float32>(b), &r2)
                t.Render(image, v, Span<float32>(c))
                Expect.equal b a "ApplyView writes what Apply writes"
                Expect.equal c a "Render(view) writes the same floats"
                Expect.equal (r2.NextUInt64()) (r1.NextUInt64()) "and draws the same random numbers"
                seen.Add v |> ignore
            Expect.isGreaterThan seen.Count 150 "1,000 draws reach nearly every view"
            Expect.equal ((Transforms.FashionMnistTrain() :?> IViewTransform).ViewCount) 1 "no augmentation: one view"

        testCase "the loader reports each sample's view without changing the batch" <| fun () ->
            let data = dataset 1
            let t = augmented ()
            use loader = new DataLoader(data, t, 5, shuffle = true, seed = 11L, workers = 2)
            for batch in loader.Epoch 2 do
                use b = batch
                let rows = b.Images.reshape(int64 b.Count, -1L).data<float32>().ToArray()
                Expect.isNotNull (box b.Views) "a view transform's batch has views"
                for i in 0 .. b.Count - 1 do
                    let index = b.Indices.[i]
                    let expected, rendered = Array.zeroCreate<float32> 784, Array.zeroCreate<float32> 784
                    let mutable r = SampleRandom.For(11L, 2, index, 0)
                    (t :> IImageTransform).Apply(data.GetImage index, Span<float32>(expected), &r)
                    t.Render(data.GetImage index, b.Views.[i], Span<float32>(rendered))
                    Expect.equal rows.[i * 784 .. i * 784 + 783] expected "the image the seed always drew"
                    Expect.equal rendered expected "its view renders the same image"

        for modelName, shape, transform, count in [ "fmnist_small_cnn", (1, 28), augmented, images
                                                    "resnet8x4", (3, 32), (fun () -> Transforms.CifarTrain() :?> IViewTransform), 6 ] do
          testCase (sprintf "cached logits equal the teacher's online logits for a loader batch (%s)" modelName) <| fun () ->
            use dir = new TempDir()
            let channels, side = shape
            let rng = Random(2)
            let pixels = Array.zeroCreate<byte> (count * channels * side * side)
            rng.NextBytes pixels
            let data = InMemoryImageDataset((if channels = 1 then "fashion-mnist" else "cifar100"), "train", "synthetic", pixels,
                                            Array.init count (fun i -> i % classes), [ for c in 0 .. classes - 1 -> sprintf "c%d" c ], channels, side, side)
            torch.manual_seed 5L |> ignore
            use model = ModelZoo.Create(modelName, classes)
            Checkpoints.SavePyTorch(model, dir.File "t.pt")
            model.eval ()
            use cache = TeacherCacheStore.Ensure(dir.File "cache", dir.File "t.pt", model, data, transform (), torch.CPU, TextWriter.Null)
            Expect.isTrue cache.Complete "filled"
            use loader = new DataLoader(data, transform (), 16, shuffle = true, seed = 4L, workers = 0)
            let mutable exact = true
            let mutable worst = 0.0
            for epoch in 1 .. 3 do
              for batch in loader.Epoch epoch do
                use b = batch
                use scope = torch.NewDisposeScope()
                let online =
                    use _ = torch.no_grad ()
                    let struct (logits, _) = model.Forward b.Images
                    logits
                let cached = cache.Lookup(b.Indices, b.Views)
                let diff = (online - cached).abs().max().item<float32>()
                let scale = online.abs().max().item<float32>()
                exact <- exact && diff = 0.0f
                worst <- max worst (float diff / float scale)
                Expect.isLessThanOrEqual (float diff) (1e-5 * float scale) (sprintf "max |online − cached| = %g at logit scale %g" diff scale)
            printfn "%s: cached vs online teacher logits: %s" modelName (if exact then "bit-identical" else sprintf "max relative difference %.2g (BatchNorm folded for the fill)" worst)

        testCase "a cache of another teacher, dataset or transform is refused, naming the field" <| fun () ->
            use dir = new TempDir()
            let data = dataset 3
            use model = teacher 6 (dir.File "t.pt")
            use other = teacher 7 (dir.File "other.pt")
            let cacheDir = dir.File "cache"
            let key = TeacherCacheKey.For(dir.File "t.pt", "fmnist_small_cnn", data, augmented ())
            (TeacherCacheStore.Ensure(cacheDir, dir.File "t.pt", model, data, augmented (), torch.CPU, TextWriter.Null)).Dispose()
            let file = key.FileIn cacheDir
            let refusedFor (k: TeacherCacheKey) field = expectRefused (fun () -> (TeacherCacheFile.Open(file, k)).Dispose()) file field
            refusedFor (TeacherCacheKey.For(dir.File "other.pt", "fmnist_small_cnn", data, augmented ())) "teacher_sha256"
            refusedFor (TeacherCacheKey.For(dir.File "t.pt", "fmnist_small_cnn", dataset 4, augmented ())) "dataset_sha256"
            refusedFor (TeacherCacheKey.For(dir.File "t.pt", "fmnist_small_cnn", data, Transforms.FashionMnistTrain(crop = true) :?> IViewTransform)) "transform"
            refusedFor (TeacherCacheKey(key.TeacherSha256, "fmnist_wide_cnn", key.Classes, key.Dataset, key.Split, key.Count, key.DatasetSha256,
                                        key.Transform, key.Views, key.Dtype, key.ChunkImages)) "teacher_model"

        testCase "a truncated file, a damaged header or damaged logits are refused by name" <| fun () ->
            use dir = new TempDir()
            let data = dataset 5
            use model = teacher 8 (dir.File "t.pt")
            let key = TeacherCacheKey.For(dir.File "t.pt", "fmnist_small_cnn", data, augmented ())
            (TeacherCacheStore.Ensure(dir.File "cache", dir.File "t.pt", model, data, augmented (), torch.CPU, TextWriter.Null)).Dispose()
            let good = File.ReadAllBytes(key.FileIn(dir.File "cache"))
            let damaged (name: string) (bytes: byte[]) text =
                let file = dir.File name
                File.WriteAllBytes(file, bytes)
                expectRefused (fun () -> (TeacherCacheFile.Open(file, key)).Dispose()) file text
            damaged "short.tlc" good.[.. good.Length - 2] "truncated"
            damaged "tiny.tlc" good.[.. 20] "truncated"
            damaged "header.tlc" (Array.mapi (fun i b -> if i = 60 then b ^^^ 1uy else b) good) "header checksum"
            damaged "logits.tlc" (Array.mapi (fun i b -> if i = good.Length - 3 then b ^^^ 0x10uy else b) good) "CRC-32"
            damaged "magic.tlc" (Array.mapi (fun i b -> if i = 0 then byte 'X' else b) good) "magic"

        testCase "a fill interrupted between a chunk's logits and its table entry completes to the same bytes" <| fun () ->
            use dir = new TempDir()
            let data = dataset 6
            use model = teacher 9 (dir.File "t.pt")
            let key = TeacherCacheKey.For(dir.File "t.pt", "fmnist_small_cnn", data, augmented ())
            (TeacherCacheStore.Ensure(dir.File "a", dir.File "t.pt", model, data, augmented (), torch.CPU, TextWriter.Null)).Dispose()
            let good = File.ReadAllBytes(key.FileIn(dir.File "a"))
            // The state a kill leaves: chunks 3..9 have logits on disk (here: scribbled) but no DONE entry.
            let broken = Array.copy good
            use probe = TeacherCacheFile.Open(key.FileIn(dir.File "a"), key)
            let tableStart = 4096
            for c in 3 .. 9 do
                Array.fill broken (tableStart + 8 * c) 8 0uy
                Array.fill broken (int probe.DataOffset + c * images * classes * 4) 16 0xFFuy
            Directory.CreateDirectory(dir.File "b") |> ignore
            File.WriteAllBytes(key.FileIn(dir.File "b"), broken)
            (use partial = TeacherCacheFile.Open(key.FileIn(dir.File "b"), key)
             Expect.equal (Seq.length (partial.Missing())) 7 "the unmarked chunks are missing, none is taken as valid")
            (TeacherCacheStore.Ensure(dir.File "b", dir.File "t.pt", model, data, augmented (), torch.CPU, TextWriter.Null)).Dispose()
            Expect.equal (File.ReadAllBytes(key.FileIn(dir.File "b"))) good "the resumed fill equals an uninterrupted one"
    ]
