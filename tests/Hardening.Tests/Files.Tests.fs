/// B4, B9–B12 and the tar archive: files that are not what their names say — alias bombs, FIFOs,
/// devices, lines of hundreds of megabytes, numbers past their types, a second member of one name.
module LogitStd.Hardening.Tests.FilesTests

open System.Formats.Tar
open System.IO
open System.IO.Compression
open System.Security.Cryptography
open System.Text
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Hardening.Tests.Child
open LogitStd.Hardening.Tests.Inputs

/// A gzipped tar of `names`, each one CIFAR-100 record (3,074 zero bytes).
let private writeTarGz (archive: string) (names: string list) =
    use file = File.Create archive
    use gz = new GZipStream(file, CompressionLevel.Fastest)
    use tar = new TarWriter(gz)
    for name in names do
        let entry = PaxTarEntry(TarEntryType.RegularFile, name)
        entry.DataStream <- new MemoryStream(Array.zeroCreate<byte> 3074)
        tar.WriteEntry entry

let tests =
    testList "files" [
        test "B4: a YAML alias bomb as a mapping key: train --config, --resume and sweep refuse it at once" {
            use dir = new TempDir()
            let bomb = dir.File "bomb.yaml"
            File.WriteAllText(bomb, yamlAliasBomb)
            refusedIn dir.Path [ "train"; "--config"; bomb; "--out"; dir.File "out" ] [ 1 ] [ bomb; "aliases expand" ] |> ignore
            let runDir = dir.File "run"
            markedRun runDir yamlAliasBomb """{"threads":1}"""
            refusedIn dir.Path [ "train"; "--resume"; runDir ] [ 1 ] [ Path.Combine(runDir, "experiment.yaml"); "aliases expand" ] |> ignore
            refusedIn dir.Path [ "sweep"; "--configs"; bomb; "--seeds"; "1"; "--out"; dir.File "sweep" ] [ 1 ] [ bomb; "aliases expand" ] |> ignore
        }
        test "B9: a FIFO named pipe.png and a link zero.png → /dev/zero in an image folder are refused when listed" {
            for name, make in [ "pipe.png", mkfifo; "zero.png", (fun (p: string) -> File.CreateSymbolicLink(p, "/dev/zero") |> ignore) ] do
                use dir = new TempDir()
                let root = dir.File "images"
                for split in [ "train"; "val" ] do Directory.CreateDirectory(Path.Combine(root, split, "cat")) |> ignore
                make (Path.Combine(root, "train", "cat", name))
                make (Path.Combine(root, "val", "cat", name))
                refusedIn dir.Path [ "train"; "--model"; "resnet8"; "--dataset"; "imagefolder"; "--data-dir"; root; "--out"; dir.File "out" ] [ 1 ] [ name; "not a regular file" ] |> ignore
        }
        test "B9: a FIFO summary.json in a results folder is refused" {
            use dir = new TempDir()
            let run = dir.File "results/r1"
            Directory.CreateDirectory run |> ignore
            mkfifo (Path.Combine(run, "summary.json"))
            refusedIn dir.Path [ "results"; dir.File "results" ] [ 1 ] [ Path.Combine(run, "summary.json"); "not a regular file" ] |> ignore
        }
        test "B9: a FIFO or /dev/zero as a checkpoint is refused" {
            use dir = new TempDir()
            mkfifo (dir.File "fifo.pt")
            refusedIn dir.Path [ "export"; "--model"; "resnet8"; "--weights"; dir.File "fifo.pt"; "--format"; "pytorch"; "--out"; dir.File "o.pt" ] [ 1 ] [ "fifo.pt"; "not a regular file" ] |> ignore
            refusedIn dir.Path [ "export"; "--model"; "resnet8"; "--weights"; "/dev/zero"; "--format"; "pytorch"; "--out"; dir.File "o.pt" ] [ 1 ] [ "/dev/zero"; "not a regular file" ] |> ignore
        }
        test "B10: a 300 MB single-line metrics.csv (sparse) → plot curves: refused after the line bound, not held" {
            use dir = new TempDir()
            let run = dir.File "run"
            runWithSummary run
            sparse (Path.Combine(run, "metrics.csv")) 300_000_000L
            refusedIn dir.Path [ "plot"; "curves"; "--runs"; run; "--out"; dir.File "curves.png" ] [ 1 ] [ "metrics.csv"; "line 1 is longer" ] |> ignore
        }
        test "B10: a 1 GB summary.json (sparse) → results: refused by its size before reading" {
            use dir = new TempDir()
            let run = dir.File "results/r1"
            Directory.CreateDirectory run |> ignore
            sparse (Path.Combine(run, "summary.json")) 1_000_000_000L
            refusedIn dir.Path [ "results"; dir.File "results" ] [ 1 ] [ "summary.json"; "1,000,000,000 bytes" ] |> ignore
        }
        test "B11: --batch-size 2147483647 and --lr 1e39 are refused as usage" {
            use dir = new TempDir()
            let args extra = [ "train"; "--model"; "fmnist_mlp"; "--dataset"; "fashion-mnist"; "--data-dir"; dir.File "nodata"; "--out"; dir.File "out" ] @ extra
            refusedIn dir.Path (args [ "--batch-size"; "2147483647" ]) [ 2 ] [ "solver.batch_size"; "2147483647" ] |> ignore
            refusedIn dir.Path (args [ "--lr"; "1e39" ]) [ 2 ] [ "solver.lr" ] |> ignore
            refusedIn dir.Path (args [ "--epochs"; "2147483647" ]) [ 2 ] [ "solver.epochs" ] |> ignore
            refusedIn dir.Path [ "eval"; "--model"; "resnet8"; "--weights"; dir.File "w.pt"; "--dataset"; "cifar100"; "--batch-size"; "2147483647" ] [ 2 ] [ "--batch-size" ] |> ignore
            let config = dir.File "c.yaml"
            File.WriteAllText(config, experimentYaml (dir.File "nodata"))
            refusedIn dir.Path [ "sweep"; "--configs"; config; "--seeds"; "2147483647"; "--out"; dir.File "s" ] [ 2 ] [ "--seeds" ] |> ignore
            refusedIn dir.Path [ "sweep"; "--configs"; config; "--seeds"; "2"; "--first-seed"; "2147483647"; "--out"; dir.File "s" ] [ 2 ] [ "--first-seed" ] |> ignore
        }
        test "B11: a teacher-cache header claiming 2³¹−1 images is refused before any size is computed from it" {
            use dir = new TempDir()
            let json =
                """{"format":"logitstd-teacher-cache/1","teacher_sha256":"0","teacher_model":"m","classes":100,"dataset":"cifar100","split":"train","images":2147483647,"dataset_sha256":"0","transform":"t","views":2147483647,"dtype":"float32","chunk_images":512,"teacher_inference":"i"}"""
                |> Encoding.UTF8.GetBytes
            let file = dir.File "cache.bin"
            use f = File.Create file
            f.Write("LSTDTLC1"B, 0, 8)
            f.Write(System.BitConverter.GetBytes(uint32 json.Length), 0, 4)
            f.Write(SHA256.HashData json, 0, 32)
            f.Write(json, 0, json.Length)
            f.Dispose()
            let key = LogitStd.Shell.TeacherCache.TeacherCacheKey("0", "m", 100, "cifar100", "train", 10, "0", "t", 1, "float32", 512, "i")
            let message =
                try
                    LogitStd.Shell.TeacherCache.TeacherCacheFile.Open(file, key).Dispose()
                    failtest "the cache file was opened"
                with :? LogitStd.Shell.TeacherCache.TeacherCacheException as e -> e.Message
            Expect.stringContains message file "names the file"
            Expect.stringContains message "the header claims" "and the problem"
        }
        test "a tar archive holding train.bin twice is refused, naming both" {
            use dir = new TempDir()
            let archive = dir.File "cifar-100-binary.tar.gz"
            writeTarGz archive [ "cifar-100-binary/train.bin"; "cifar-100-binary/test.bin"; "other/train.bin" ]
            refusedIn dir.Path [ "dataset"; "check"; "--dataset"; "cifar100"; "--data-dir"; archive ] [ 1 ] [ archive; "train.bin twice"; "other/train.bin" ] |> ignore
        }
    ]
