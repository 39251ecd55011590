/// The real Fashion-MNIST, when the Cake `Data` target has fetched it into ./data/fashion-mnist.
module LogitStd.Data.Tests.FashionMnistTests

open System.IO
open Expecto
open LogitStd.Shell.Data

/// The repository's data folder, found from the test binary upwards so the tests run from any directory.
let dataFolder () =
    let rec up (dir: DirectoryInfo) =
        if isNull dir then None
        elif File.Exists(Path.Combine(dir.FullName, "LogitStd.sln")) then Some(Path.Combine(dir.FullName, "data", "fashion-mnist"))
        else up dir.Parent
    up (DirectoryInfo System.AppContext.BaseDirectory)
    |> Option.filter (fun d -> FashionMnist.Files |> Seq.forall (fun f -> File.Exists(Path.Combine(d, f))))

let tests =
    testList "FashionMnist (real data)" [
        test "60,000 training and 10,000 test images, 10 classes, 6,000 and 1,000 per class" {
            match dataFolder () with
            | None -> skiptest "./data/fashion-mnist is absent: run `dotnet cake --target=Data`"
            | Some dir ->
                let struct (train, test) = FashionMnist.Open dir
                Expect.equal (train.Count, test.Count) (60000, 10000) "split sizes"
                Expect.equal train.Classes 10 "10 classes"
                Expect.equal (List.ofSeq train.ClassCounts) (List.replicate 10 6000) "6,000 per class"
                Expect.equal (List.ofSeq test.ClassCounts) (List.replicate 10 1000) "1,000 per class"
                Expect.equal (train.Channels, train.Height, train.Width) (1, System.Nullable 28, System.Nullable 28) "1×28×28"
                use loader = new DataLoader(test, Transforms.FashionMnistTest(), 1000, false, 0L, 2)
                let mutable sum = 0.0
                let mutable n = 0
                for batch in loader.Epoch 0 do
                    use b = batch
                    sum <- sum + float (b.Images.sum().item<float32>())
                    n <- n + int (b.Images.numel())
                Expect.floatClose { absolute = 0.05; relative = 0.0 } (sum / float n) 0.0 "normalised test images have mean ≈ 0"
        }
    ]
