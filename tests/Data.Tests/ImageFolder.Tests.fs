/// ImageNet-style folders: listing, decoding to RGB CHW, and rejection of corrupt images.
module LogitStd.Data.Tests.ImageFolderTests

open System.IO
open Expecto
open LogitStd.Shell.Data
open LogitStd.Data.Tests.TestFiles

let tests =
    testList "ImageFolder" [
        test "class folders become sorted labels and PNGs decode to exact RGB CHW bytes" {
            let root = tempDir "folder-clean"
            writeImageFolder root "train" [ "dog"; "cat" ] 3
            let d = ImageFolderDataset.Open(Path.Combine(root, "train"), "train")
            Expect.equal (List.ofSeq d.ClassNames) [ "cat"; "dog" ] "ordinal order"
            Expect.equal d.Count 6 "3 per class"
            Expect.equal (List.ofSeq d.ClassCounts) [ 3; 3 ] "histogram"
            // cat was written second (c = 1): image 1 is 23 wide, 18 high, seed 8.
            let img = d.GetImage 1
            Expect.equal (img.Channels, img.Height, img.Width) (3, 18, 23) "decoded size"
            let px = img.Pixels.ToArray()
            let plane = 18 * 23
            let at c y x = px[c * plane + y * 23 + x]
            Expect.equal (at 0 4 5, at 1 4 5, at 2 4 5) (byte (5 * 10 + 8), 40uy, 200uy) "pixel (5, 4) in R, G, B planes"
            Expect.equal (d.ValidateAll()) (struct (16, 20, 18, 26)) "min/max sizes"
        }

        test "the validation split keeps the training split's labels" {
            let root = tempDir "folder-val"
            writeImageFolder root "train" [ "a"; "b"; "c" ] 1
            writeImageFolder root "val" [ "c" ] 2
            let train = ImageFolderDataset.Open(Path.Combine(root, "train"), "train")
            let v = ImageFolderDataset.Open(Path.Combine(root, "val"), "val", train.ClassNames)
            Expect.equal (List.ofSeq v.Labels) [ 2; 2 ] "class c is label 2 in both"
            writeImageFolder root "val" [ "zebra" ] 1
            let e = expectDatasetError "unknown class" (fun () -> ImageFolderDataset.Open(Path.Combine(root, "val"), "val", train.ClassNames))
            contains e.Message "zebra"
        }

        test "a corrupt image is rejected when decoded, naming the file" {
            let root = tempDir "folder-corrupt"
            writeImageFolder root "train" [ "a"; "b" ] 2
            let bad = Path.Combine(root, "train", "b", "bad.png")
            File.WriteAllBytes(bad, bytes 3 500)
            let d = ImageFolderDataset.Open(Path.Combine(root, "train"), "train")
            let e = expectDatasetError "corrupt" (fun () -> d.ValidateAll())
            contains e.Message bad
            contains e.Message "corrupt image"
        }

        test "a truncated PNG is rejected rather than decoded half grey" {
            let root = tempDir "folder-trunc"
            writeImageFolder root "train" [ "a" ] 1
            let path = Path.Combine(root, "train", "a", "0.png")
            writePng path 64 64 1
            let full = File.ReadAllBytes path
            File.WriteAllBytes(path, full[.. full.Length * 2 / 3])
            let e = expectDatasetError "truncated png" (fun () -> ImageFolderDataset.Decode path)
            contains e.Message path
        }

        test "an empty class folder, a folder without classes and a missing folder are rejected" {
            let root = tempDir "folder-empty"
            writeImageFolder root "train" [ "a" ] 1
            Directory.CreateDirectory(Path.Combine(root, "train", "b")) |> ignore
            contains (expectDatasetError "empty class" (fun () -> ImageFolderDataset.Open(Path.Combine(root, "train"), "train"))).Message "no JPEG or PNG"
            let bare = tempDir "folder-bare"
            contains (expectDatasetError "no classes" (fun () -> ImageFolderDataset.Open(bare, "train"))).Message "no class subfolders"
            contains (expectDatasetError "missing" (fun () -> ImageFolderDataset.Open(Path.Combine(bare, "nope"), "train"))).Message "missing folder"
        }
    ]
