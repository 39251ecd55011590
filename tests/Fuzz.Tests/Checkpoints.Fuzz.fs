/// Checkpoints: the project's own zip (through `eval`'s and `--resume`'s entry points), torch.save
/// zips and legacy files (through `eval`'s). A damaged zip must never load with other weights: the
/// CRC-32 of every member is checked. The legacy format has no checksum, so a changed weight there
/// is not the reader's fault.
module LogitStd.Fuzz.CheckpointsFuzz

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open TorchSharp
open LogitStd.Shell.Models
open LogitStd.Shell.Persistence
open LogitStd.Shell.Training
open LogitStd.Shell.Runs
open LogitStd.Fuzz.Mutate
open LogitStd.Fuzz.Harness
open LogitStd.Fuzz.Seeds

let private sameOrChanged expected actual = if expected = actual then Same else Changed

/// `eval`'s call: build the model, check the file fits, load it; then compare the weights.
let private evalRead (model: string) (classes: int) (expected: Map<string, float[]>) (path: string) =
    use m = Checkpoints.LoadForEvaluation(model, path, classes)
    sameOrChanged expected (stateOf m)

/// Manifest edits with the CRC rewritten: shapes, dtypes, kinds and names set to what no writer writes.
let private manifestEdit (rng: Random) (name: string) (data: byte[]) =
    if name <> ProjectCheckpoint.ManifestEntry then None
    else
        let root = JsonNode.Parse(data).AsObject()
        let sections = root.["sections"].AsArray()
        let section = sections.[rng.Next sections.Count].AsObject()
        match rng.Next 6, section.["tensors"] with
        | 0, (:? JsonArray as ts) when ts.Count > 0 ->
            let shapes = [| "[1000000000000]"; "[-1]"; "[2147483647,2147483647]"; "[4611686018427387904,4]"; "[0,1000000000000]"; "[]"; "null"; "[1.5]" |]
            ts.[rng.Next ts.Count].["shape"] <- JsonNode.Parse(shapes.[rng.Next shapes.Length])
        | 1, (:? JsonArray as ts) when ts.Count > 0 ->
            ts.[rng.Next ts.Count].["dType"] <- JsonValue.Create([| "999"; "Float64"; "Int8"; ""; "ComplexFloat64"; "QInt8" |].[rng.Next 6])
        | 2, (:? JsonArray as ts) when ts.Count > 1 ->
            ts.[rng.Next ts.Count].["key"] <- JsonValue.Create(ts.[0].["key"].GetValue<string>())
        | 3, _ -> section.["kind"] <- JsonValue.Create([| "tensor"; "json"; "bytes"; "" |].[rng.Next 4])
        | 4, _ -> root.["version"] <- JsonValue.Create([| 0; 2; -1; Int32.MaxValue |].[rng.Next 4])
        | _ -> section.["name"] <- JsonValue.Create(sections.[0].["name"].GetValue<string>())
        Some(Text.Encoding.UTF8.GetBytes(root.ToJsonString()))

let private zipMutant (rng: Random) (seed: byte[]) rewrite =
    if rng.Next 4 = 0 then zipwise rng seed rewrite else bytewise rng seed [||] false

let tests =
    testSequenced <| testList "checkpoints" [
        test "CRC-32 is zip's (the check value of \"123456789\", and what .NET's writer records)" {
            Expect.equal (Crc32.Compute(Text.Encoding.ASCII.GetBytes "123456789")) 0xCBF43926u "ISO-HDLC check value"
            let data = Array.init 100_003 (fun i -> byte (i * 131 + i / 7))
            let zip = rebuild [ "a.bin", data ]
            use a = new IO.Compression.ZipArchive(new MemoryStream(zip), IO.Compression.ZipArchiveMode.Read)
            Expect.equal (Crc32.Compute data) a.Entries.[0].Crc32 "the CRC .NET wrote"
            Expect.equal (Crc32.Append(Crc32.Compute(ReadOnlySpan(data, 0, 777)), ReadOnlySpan(data, 777, data.Length - 777))) (Crc32.Compute data) "folding in pieces"
        }

        test "project checkpoints (eval)" {
            use dir = new TempDir()
            use model = ModelZoo.Create("fmnist_mlp", 10)
            let seedPath = dir.File "seed.ckpt"
            Checkpoints.Save(model, seedPath)
            let seed = File.ReadAllBytes seedPath
            let expected = stateOf model
            fuzz "project checkpoint" 101 300 (dir.File "model.ckpt") (fun rng -> zipMutant rng seed manifestEdit) (evalRead "fmnist_mlp" 10 expected)
        }

        test "training checkpoints (--resume)" {
            use dir = new TempDir()
            use model = ModelZoo.Create("fmnist_mlp", 10)
            use sgd = torch.optim.SGD(model.parameters(), 0.1, 0.9)
            let seedPath = dir.File "seed.ckpt"
            let progress = TrainingProgress(3, 81.25, 2, 0, 2)
            TrainingState.Save(seedPath, model, sgd, null, progress)
            let seed = File.ReadAllBytes seedPath
            let expected = stateOf model
            let read (path: string) =
                let recorded = TrainingState.ReadProgress path
                use student = ModelZoo.Create("fmnist_mlp", 10)
                use opt = torch.optim.SGD(student.parameters(), 0.1, 0.9)
                let restored = TrainingState.Restore(path, student, opt, null)
                if recorded = progress && restored = progress then sameOrChanged expected (stateOf student) else Changed
            fuzz "training checkpoint" 102 150 (dir.File "latest.ckpt") (fun rng -> zipMutant rng seed manifestEdit) read
        }

        test "torch.save zip files (eval)" {
            use dir = new TempDir()
            let seed = File.ReadAllBytes(fixture "resnet8.pth")
            use reference = Checkpoints.LoadForEvaluation("resnet8", fixture "resnet8.pth", 100)
            let expected = stateOf reference
            fuzz "torch.save zip" 103 300 (dir.File "resnet8.pth") (fun rng -> zipMutant rng seed (fun _ _ _ -> None)) (evalRead "resnet8" 100 expected)
        }

        test "torch.save legacy files (eval)" {
            use dir = new TempDir()
            let seed = File.ReadAllBytes(fixture "resnet8.legacy.pth")
            use reference = Checkpoints.LoadForEvaluation("resnet8", fixture "resnet8.legacy.pth", 100)
            let expected = stateOf reference
            // No checksum in this format: a changed weight cannot be noticed, so only the outcome's kind is judged.
            let mutate rng = { bytewise rng seed [| 0; 2; 4; 14; 20; 24; 32; 40 |] false with Detectable = false }
            fuzz "torch.save legacy" 104 200 (dir.File "resnet8.legacy.pth") mutate (evalRead "resnet8" 100 expected)
        }
    ]
