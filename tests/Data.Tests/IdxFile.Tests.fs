/// The gzipped IDX reader behind Fashion-MNIST: exact reads, and rejection of every malformed file.
module LogitStd.Data.Tests.IdxFileTests

open System.IO
open Expecto
open LogitStd.Shell.Data
open LogitStd.Data.Tests.TestFiles

let tests =
    testList "IdxFile" [
        test "a small gzipped Fashion-MNIST folder reads back exactly" {
            let dir = tempDir "idx-clean"
            writeFashionFolder dir 50 20
            let struct (train, test) = FashionMnist.Open dir
            Expect.equal (train.Count, test.Count) (50, 20) "counts"
            Expect.equal (train.Channels, train.Height, train.Width) (1, System.Nullable 28, System.Nullable 28) "1×28×28"
            let written = bytes 50 (50 * 784)
            Expect.equal (train.GetImage(3).Pixels.ToArray()) written[3 * 784 .. 4 * 784 - 1] "image 3's pixels"
            Expect.equal (List.ofSeq train.Labels) [ for i in 0 .. 49 -> i % 10 ] "labels"
            Expect.equal train.ClassNames[9] "Ankle boot" "class names"
        }

        test "uncompressed IDX files read the same" {
            let dir = tempDir "idx-plain"
            let images = Path.Combine(dir, "i.idx")
            File.WriteAllBytes(images, idxImages 0x803 4 5 6 (bytes 1 120))
            let struct (pixels, count, rows, cols) = IdxFile.ReadImages images
            Expect.equal (count, rows, cols) (4, 5, 6) "dimensions"
            Expect.equal pixels (bytes 1 120) "pixels"
        }

        test "a wrong magic number is rejected, naming the file" {
            let dir = tempDir "idx-magic"
            writeFashionFolder dir 10 10
            let path = Path.Combine(dir, "train-images-idx3-ubyte.gz")
            writeGz path (idxImages 0x801 10 28 28 (bytes 0 7840))
            let e = expectDatasetError "magic" (fun () -> FashionMnist.Open dir)
            contains e.Message path
            contains e.Message "wrong magic number 0x00000801"
            let labels = Path.Combine(dir, "x-labels.gz")
            writeGz labels (idxLabels 0x803 [| 1uy |])
            contains (expectDatasetError "label magic" (fun () -> IdxFile.ReadLabels(labels, 10))).Message "0x00000803"
        }

        test "an image count that disagrees with the label count is rejected, naming both files" {
            let dir = tempDir "idx-count"
            writeFashionFolder dir 10 10
            let labels = Path.Combine(dir, "t10k-labels-idx1-ubyte.gz")
            writeGz labels (idxLabels 0x801 (Array.create 9 1uy))
            let e = expectDatasetError "count mismatch" (fun () -> FashionMnist.Open dir)
            contains e.Message labels
            contains e.Message (Path.Combine(dir, "t10k-images-idx3-ubyte.gz"))
            contains e.Message "10 images"
            contains e.Message "9 labels"
        }

        test "a truncated gzip file is rejected, naming the file" {
            let dir = tempDir "idx-gz-trunc"
            writeFashionFolder dir 200 10
            let path = Path.Combine(dir, "train-images-idx3-ubyte.gz")
            let full = File.ReadAllBytes path
            File.WriteAllBytes(path, full[.. full.Length / 2])
            let e = expectDatasetError "truncated gz" (fun () -> FashionMnist.Open dir)
            contains e.Message path
        }

        test "a file with fewer images than its header says is rejected as truncated" {
            let dir = tempDir "idx-short"
            let path = Path.Combine(dir, "short.gz")
            writeGz path (idxImages 0x803 10 28 28 (bytes 0 (9 * 784 + 100)))
            let e = expectDatasetError "short body" (fun () -> IdxFile.ReadImages path)
            contains e.Message path
            contains e.Message "truncated"
            contains e.Message "10 images"
        }

        test "trailing bytes after the promised data are rejected" {
            let dir = tempDir "idx-long"
            let path = Path.Combine(dir, "long.gz")
            writeGz path (idxLabels 0x801 [| 1uy; 2uy |] |> fun b -> Array.append b [| 0uy |])
            contains (expectDatasetError "trailing" (fun () -> IdxFile.ReadLabels(path, 10))).Message "unexpected data"
        }

        test "a label of 10 is rejected with its record" {
            let dir = tempDir "idx-label"
            let path = Path.Combine(dir, "labels.gz")
            writeGz path (idxLabels 0x801 [| 1uy; 2uy; 10uy |])
            let e = expectDatasetError "label 10" (fun () -> IdxFile.ReadLabels(path, 10))
            contains e.Message path
            contains e.Message "record 2"
            contains e.Message "label 10"
        }

        test "a missing dataset names the four files; a partial folder names the missing one" {
            let empty = tempDir "idx-none"
            let e = expectDatasetError "none" (fun () -> FashionMnist.Locate empty)
            for f in FashionMnist.Files do contains e.Message f
            contains e.Message empty
            let partial = tempDir "idx-partial"
            writeFashionFolder partial 5 5
            File.Delete(Path.Combine(partial, "t10k-labels-idx1-ubyte.gz"))
            let e2 = expectDatasetError "partial" (fun () -> FashionMnist.Locate partial)
            contains e2.Message (Path.Combine(partial, "t10k-labels-idx1-ubyte.gz"))
            contains e2.Message "missing file"
        }
    ]
