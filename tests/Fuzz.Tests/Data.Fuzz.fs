/// Datasets: IDX files (plain and gzipped, through Fashion-MNIST's split reader), CIFAR-100 binary
/// files and archives, and image folders (PNG, JPEG). These formats carry no checksum of their own
/// (gzip's is checked by .NET), so a harmless mutation — a flipped pixel — reads; what is judged is
/// that every other outcome is an error naming the file, within time and memory.
module LogitStd.Fuzz.DataFuzz

open System
open System.IO
open System.Text
open Expecto
open SkiaSharp
open LogitStd.Shell.Data
open LogitStd.Fuzz.Mutate
open LogitStd.Fuzz.Harness
open LogitStd.Fuzz.Seeds

/// The IDX header's fields: magic, count, rows, columns (big-endian).
let private idxFields = [| 0; 4; 8; 12 |]

/// A mutation of the bytes behind the gzip layer, compressed again (so the reader proper sees it).
let private behindGzip (rng: Random) (plain: byte[]) fields =
    let m = bytewise rng plain fields true
    { m with Kind = "gz:" + m.Kind; Bytes = gzipBytes m.Bytes }

/// A tar header's size field (octal text at offset 124 of a 512-byte header block) set to an extreme.
let private tarSize (rng: Random) (tar: byte[]) =
    let headers = [| for b in 0 .. 512 .. tar.Length - 512 do if Encoding.ASCII.GetString(tar, b + 257, 5) = "ustar" then b |]
    let c = Array.copy tar
    let h = headers.[rng.Next headers.Length]
    let value = [| "77777777777"; "00000000000"; "7777777777\000"; "99999999999"; "\u0080\u0000\u0000\u0000\u0000\u0000\u0000\u007f\u00ff\u00ff\u00ff\u00ff" |].[rng.Next 5]
    Encoding.Latin1.GetBytes(value).CopyTo(c, h + 124)
    { Kind = "tar-size"; Bytes = c; Detectable = true }

let private readSplit (dir: string) (images: string) (labels: string) (_: string) =
    FashionMnist.ReadSplit(dir, "train", images, labels) |> ignore
    Same

let tests =
    testSequenced <| testList "datasets" [
        test "IDX image files" {
            use dir = new TempDir()
            let images, labels = idx 20
            File.WriteAllBytes(dir.File "labels.idx", labels)
            fuzz "IDX images" 201 250 (dir.File "images.idx") (fun rng -> bytewise rng images idxFields true) (readSplit dir.Path "images.idx" "labels.idx")
        }

        test "IDX label files" {
            use dir = new TempDir()
            let images, labels = idx 20
            File.WriteAllBytes(dir.File "images.idx", images)
            fuzz "IDX labels" 202 150 (dir.File "labels.idx") (fun rng -> bytewise rng labels [| 0; 4 |] true) (readSplit dir.Path "images.idx" "labels.idx")
        }

        test "gzipped IDX files" {
            use dir = new TempDir()
            let images, labels = idx 20
            File.WriteAllBytes(dir.File "labels.idx.gz", gzipBytes labels)
            let gz = gzipBytes images
            let mutate (rng: Random) = if rng.Next 2 = 0 then bytewise rng gz [| 0; 4; 8 |] false else behindGzip rng images idxFields
            fuzz "IDX gzipped" 203 200 (dir.File "images.idx.gz") mutate (readSplit dir.Path "images.idx.gz" "labels.idx.gz")
        }

        test "CIFAR-100 binary files" {
            use dir = new TempDir()
            let seed = cifar 6
            let read (path: string) = Cifar100.ReadFile(path, "train") |> ignore; Same
            fuzz "CIFAR-100 binary" 204 200 (dir.File "train.bin") (fun rng -> bytewise rng seed [| 0; 3074; 6148 |] false) read
        }

        test "CIFAR-100 archives" {
            use dir = new TempDir()
            let tar, tgz = cifarArchive ()
            let mutate (rng: Random) =
                match rng.Next 3 with
                | 0 -> bytewise rng tgz [||] false
                | 1 -> { behindGzip rng tar [||] with Kind = "gz:tar" }
                | _ -> let m = tarSize rng tar in { m with Bytes = gzipBytes m.Bytes }
            let read (path: string) = Cifar100.OpenArchive path |> ignore; Same
            fuzz "CIFAR-100 archive" 205 200 (dir.File Cifar100.Archive) mutate read
        }

        test "image folders (PNG, JPEG)" {
            use dir = new TempDir()
            Directory.CreateDirectory(dir.File "cat") |> ignore
            Directory.CreateDirectory(dir.File "dog") |> ignore
            let png = image SKEncodedImageFormat.Png
            let jpeg = image SKEncodedImageFormat.Jpeg
            File.WriteAllBytes(Path.Combine(dir.Path, "dog", "b.png"), png)
            let read (_: string) = ImageFolderDataset.Open(dir.Path, "train").ValidateAll() |> ignore; Same
            fuzz "image PNG" 206 150 (Path.Combine(dir.Path, "cat", "a.png")) (fun rng -> bytewise rng png [| 16; 20; 8; 12 |] true) read
            File.Delete(Path.Combine(dir.Path, "cat", "a.png"))
            fuzz "image JPEG" 207 150 (Path.Combine(dir.Path, "cat", "a.jpg")) (fun rng -> bytewise rng jpeg [||] true) read
        }
    ]
