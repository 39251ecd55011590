/// The loader: same seed → the same batches bit for bit for any worker count; a new seed or epoch →
/// a new order; the last partial batch is kept; failures surface instead of hanging.
module LogitStd.Data.Tests.DataLoaderTests

open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Data
open LogitStd.Data.Tests.TestFiles

/// An in-memory CIFAR-shaped dataset of `n` images with labels i % 100.
let private cifar n =
    InMemoryImageDataset("cifar100", "train", "generated", bytes 42 (n * 3072), Array.init n (fun i -> i % 100),
                         [| for k in 0 .. 99 -> string k |], 3, 32, 32)

/// Everything an epoch yields, as plain arrays: (indices, images, labels, strong images).
let private collect (loader: DataLoader) epoch =
    [ for batch in loader.Epoch epoch do
        use b = batch
        yield List.ofSeq b.Indices,
              b.Images.data<float32>().ToArray(),
              b.Labels.data<int64>().ToArray(),
              (match b.StrongImages with
               | null -> [||]
               | s -> s.data<float32>().ToArray()) ]

let tests =
    testList "DataLoader" [
        test "the same seed gives identical batches, bit for bit, with 0, 1 or 3 workers" {
            let d = cifar 100
            let run workers =
                use loader = new DataLoader(d, Transforms.CifarTrain(), 16, true, 7L, workers, Transforms.CifarStrong())
                collect loader 2
            let reference = run 0
            Expect.equal (run 1) reference "1 worker = synchronous"
            Expect.equal (run 3) reference "3 workers = synchronous"
        }

        test "a different seed or epoch gives a different order; each epoch is a permutation" {
            let d = cifar 100
            use a = new DataLoader(d, Transforms.CifarTrain(), 10, true, 1L, 1)
            use b = new DataLoader(d, Transforms.CifarTrain(), 10, true, 2L, 1)
            Expect.notEqual (a.Order 0) (b.Order 0) "seed changes the order"
            Expect.notEqual (a.Order 0) (a.Order 1) "epoch changes the order"
            Expect.equal (Array.sort (a.Order 3)) [| 0 .. 99 |] "a permutation"
            use plain = new DataLoader(d, Transforms.CifarTest(), 10, false, 1L, 1)
            Expect.equal (plain.Order 5) [| 0 .. 99 |] "no shuffle: dataset order"
        }

        test "the last partial batch is kept, with tensors of the right shapes and types" {
            let d = cifar 100
            use loader = new DataLoader(d, Transforms.CifarTrain(), 32, true, 3L, 2, Transforms.CifarStrong())
            Expect.equal loader.BatchCount 4 "ceil(100 / 32)"
            let sizes = ResizeArray()
            let seen = ResizeArray()
            for batch in loader.Epoch 0 do
                use b = batch
                sizes.Add b.Count
                seen.AddRange b.Indices
                Expect.equal (List.ofArray b.Images.shape) [ int64 b.Count; 3L; 32L; 32L ] "images [N,3,32,32]"
                Expect.equal b.Images.dtype torch.ScalarType.Float32 "float32"
                Expect.equal b.Labels.dtype torch.ScalarType.Int64 "int64 labels"
                Expect.equal (List.ofArray b.StrongImages.shape) (List.ofArray b.Images.shape) "strong view alongside"
                let labels = b.Labels.data<int64>().ToArray()
                Expect.equal (List.ofArray labels) [ for i in b.Indices -> int64 (i % 100) ] "labels follow the indices"
            Expect.equal (List.ofSeq sizes) [ 32; 32; 32; 4 ] "partial last batch kept"
            Expect.equal (Seq.sort seen |> List.ofSeq) [ 0 .. 99 ] "every image exactly once"
        }

        test "test batches hold exactly the normalised images in dataset order" {
            let d = cifar 10
            use loader = new DataLoader(d, Transforms.CifarTest(), 4, false, 0L, 1)
            let images = collect loader 0 |> List.collect (fun (_, img, _, _) -> List.ofArray img) |> Array.ofList
            let expected = Array.zeroCreate<float32> (10 * 3072)
            let t = Transforms.CifarTest()
            for i in 0 .. 9 do
                let mutable r = SampleRandom.For(0L, 0, i, 0)
                t.Apply(d.GetImage i, System.Span<float32>(expected, i * 3072, 3072), &r)
            Expect.equal images expected "concatenated batches = the transformed dataset"
        }

        test "a corrupt image fails the epoch with its file name instead of hanging" {
            let root = tempDir "loader-corrupt"
            writeImageFolder root "train" [ "a"; "b" ] 3
            File.WriteAllBytes(Path.Combine(root, "train", "b", "9.png"), bytes 1 100)
            let d = ImageFolderDataset.Open(Path.Combine(root, "train"), "train")
            use loader = new DataLoader(d, Transforms.ImageNetEval(32, 24), 2, false, 0L, 2)
            let e = expectDatasetError "corrupt in loader" (fun () -> collect loader 0)
            Expect.stringContains e.Message "9.png" "names the file"
        }

        test "an image folder loads through the ImageNet transforms" {
            let root = tempDir "loader-folder"
            writeImageFolder root "train" [ "a"; "b" ] 2
            let d = ImageFolderDataset.Open(Path.Combine(root, "train"), "train")
            use loader = new DataLoader(d, Transforms.ImageNetTrain(64), 3, true, 0L, 1)
            let shapes = [ for batch in loader.Epoch 0 do
                             use b = batch
                             yield List.ofArray b.Images.shape ]
            Expect.equal shapes [ [ 3L; 3L; 64L; 64L ]; [ 1L; 3L; 64L; 64L ] ] "resized crops, partial batch kept"
        }

        test "leaving an epoch early and disposing the loader return promptly" {
            let d = cifar 200
            use loader = new DataLoader(d, Transforms.CifarTrain(), 8, true, 0L, 2)
            for batch in loader.Epoch 0 |> Seq.truncate 2 do
                batch.Dispose()
            let again = collect loader 1
            Expect.equal again.Length 25 "a later epoch runs in full"
            loader.Dispose()
            Expect.throwsT<System.ObjectDisposedException> (fun () -> loader.Epoch 2 |> ignore) "no epochs after dispose"
        }

        test "the strong view needs the weak view's size; channels must match the dataset" {
            let d = cifar 4
            Expect.throwsT<System.ArgumentException> (fun () -> new DataLoader(d, Transforms.FashionMnistTest(), 2, false, 0L) |> ignore) "1-channel transform on RGB"
            Expect.throwsT<System.ArgumentOutOfRangeException> (fun () -> new DataLoader(d, Transforms.CifarTest(), 0, false, 0L) |> ignore) "batch size 0"
        }
    ]
