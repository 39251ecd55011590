/// The CIFAR-100 binary reader: clean files read back exactly; every malformed file is rejected
/// with a message naming it.
module LogitStd.Data.Tests.Cifar100Tests

open System.IO
open Expecto
open LogitStd.Shell.Data
open LogitStd.Data.Tests.TestFiles

let tests =
    testList "Cifar100" [
        test "a 100-record file reads back with its fine labels and channel-major pixels" {
            let dir = tempDir "cifar-clean"
            let path = Path.Combine(dir, "train.bin")
            let raw = validCifar 100
            File.WriteAllBytes(path, raw)
            let d = Cifar100.ReadFile(path, "train")
            Expect.equal d.Count 100 "100 records"
            Expect.equal d.Classes 100 "100 fine classes"
            Expect.equal (d.Channels, d.Height, d.Width) (3, System.Nullable 32, System.Nullable 32) "3×32×32"
            Expect.equal (List.ofSeq d.Labels) [ for i in 0 .. 99 -> i ] "fine labels in file order"
            let img = d.GetImage 37
            Expect.equal (img.Pixels.ToArray()) raw[37 * 3074 + 2 .. 38 * 3074 - 1] "record 37's pixels, unchanged"
            Expect.equal (List.ofSeq d.ClassCounts) (List.replicate 100 1) "one image per class"
        }

        test "a folder with train.bin, test.bin and fine_label_names.txt opens both splits with names" {
            let dir = tempDir "cifar-folder"
            let inner = Path.Combine(dir, "cifar-100-binary")
            Directory.CreateDirectory inner |> ignore
            File.WriteAllBytes(Path.Combine(inner, "train.bin"), validCifar 100)
            File.WriteAllBytes(Path.Combine(inner, "test.bin"), validCifar 20)
            File.WriteAllLines(Path.Combine(inner, "fine_label_names.txt"), [ for k in 0 .. 99 -> $"class{k}" ])
            let struct (train, test) = Cifar100.Open dir
            Expect.equal (train.Count, test.Count) (100, 20) "both splits"
            Expect.equal train.ClassNames[42] "class42" "names from fine_label_names.txt"
        }

        test "the tar.gz archive reads the same as the extracted files" {
            let dir = tempDir "cifar-tar"
            let trainBytes, testBytes = validCifar 100, validCifar 10
            let archive = Path.Combine(dir, Cifar100.Archive)
            writeTarGz archive [ "cifar-100-binary/train.bin", trainBytes; "cifar-100-binary/test.bin", testBytes ]
            let struct (train, test) = Cifar100.Open dir
            Expect.equal (train.Count, test.Count) (100, 10) "both splits from the archive"
            Expect.equal (train.GetImage(5).Pixels.ToArray()) trainBytes[5 * 3074 + 2 .. 6 * 3074 - 1] "pixels unchanged"
            let struct (train2, _) = Cifar100.Open archive
            Expect.equal train2.Count 100 "the archive path itself works too"
        }

        test "a truncated file is rejected, naming the file and the cut record" {
            let dir = tempDir "cifar-trunc"
            let path = Path.Combine(dir, "train.bin")
            File.WriteAllBytes(path, (validCifar 100)[.. 100 * 3074 - 1001])
            let e = expectDatasetError "truncated" (fun () -> Cifar100.ReadFile(path, "train"))
            contains e.Message path
            contains e.Message "truncated"
            contains e.Message "record 99"
        }

        test "a fine label of 150 is rejected, naming the file, record and offset" {
            let dir = tempDir "cifar-label"
            let path = Path.Combine(dir, "train.bin")
            let raw = validCifar 100
            raw[37 * 3074 + 1] <- 150uy
            File.WriteAllBytes(path, raw)
            let e = expectDatasetError "fine label 150" (fun () -> Cifar100.ReadFile(path, "train"))
            contains e.Message path
            contains e.Message "record 37"
            contains e.Message "fine label 150"
            contains e.Message "113,739"
        }

        test "a coarse label of 20 is rejected" {
            let dir = tempDir "cifar-coarse"
            let path = Path.Combine(dir, "test.bin")
            let raw = validCifar 10
            raw[3 * 3074] <- 20uy
            File.WriteAllBytes(path, raw)
            let e = expectDatasetError "coarse label" (fun () -> Cifar100.ReadFile(path, "test"))
            contains e.Message "coarse label 20"
        }

        test "an empty file, a missing test.bin and an empty folder are rejected" {
            let dir = tempDir "cifar-missing"
            let empty = Path.Combine(dir, "train.bin")
            File.WriteAllBytes(empty, [||])
            contains (expectDatasetError "empty" (fun () -> Cifar100.ReadFile(empty, "train"))).Message "empty file"
            File.WriteAllBytes(empty, validCifar 3)
            let e = expectDatasetError "missing test.bin" (fun () -> Cifar100.Open dir)
            contains e.Message (Path.Combine(dir, "test.bin"))
            contains e.Message "missing file"
            let nothing = tempDir "cifar-nothing"
            contains (expectDatasetError "nothing" (fun () -> Cifar100.Open nothing)).Message "cifar-100-binary.tar.gz"
        }

        test "a truncated archive is rejected, naming the archive" {
            let dir = tempDir "cifar-tar-trunc"
            let archive = Path.Combine(dir, Cifar100.Archive)
            writeTarGz archive [ "cifar-100-binary/train.bin", validCifar 100; "cifar-100-binary/test.bin", validCifar 10 ]
            let full = File.ReadAllBytes archive
            File.WriteAllBytes(archive, full[.. full.Length / 2])
            let e = expectDatasetError "truncated archive" (fun () -> Cifar100.Open archive)
            contains e.Message archive
        }

        test "a record with a bad label inside the archive names the archive member" {
            let dir = tempDir "cifar-tar-label"
            let archive = Path.Combine(dir, Cifar100.Archive)
            let bad = validCifar 10
            bad[4 * 3074 + 1] <- 150uy
            writeTarGz archive [ "cifar-100-binary/train.bin", validCifar 10; "cifar-100-binary/test.bin", bad ]
            let e = expectDatasetError "bad label in archive" (fun () -> Cifar100.Open archive)
            contains e.Message $"{archive}:test.bin"
            contains e.Message "record 4"
        }
    ]
