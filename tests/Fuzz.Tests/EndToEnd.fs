/// The real program on damaged files: `logitstd eval` on a damaged checkpoint and dataset, `logitstd
/// train --config` on a damaged experiment file. Each exits 1 and names the file on stderr.
module LogitStd.Fuzz.EndToEnd

open System.Diagnostics
open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Models
open LogitStd.Shell.Persistence
open LogitStd.Fuzz.Harness
open LogitStd.Fuzz.Seeds

/// logitstd.dll as built beside this test (the Shell project is referenced, so it is copied here).
let private program = Path.Combine(System.AppContext.BaseDirectory, "logitstd.dll")

let private run (args: string list) =
    let psi = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    psi.ArgumentList.Add program
    for a in args do psi.ArgumentList.Add a
    use p = Process.Start psi
    let err = p.StandardError.ReadToEndAsync()
    let out = p.StandardOutput.ReadToEnd()
    if not (p.WaitForExit 120_000) then p.Kill true
    p.ExitCode, out, err.Result

let private expectFileFault (file: string) (code, _, err: string) =
    Expect.equal code 1 (sprintf "exit 1 (the file's fault); stderr:\n%s" err)
    Expect.stringContains err file "stderr names the file"
    Expect.isFalse (err.Contains "internal error") "not reported as a defect"

let tests =
    testSequenced <| testList "end to end" [
        test "eval: a checkpoint with one flipped bit in a tensor exits 1 naming the file" {
            use dir = new TempDir()
            let ckpt = dir.File "model.ckpt"
            use m = ModelZoo.Create("fmnist_mlp", 10)
            Checkpoints.Save(m, ckpt)
            let bytes = File.ReadAllBytes ckpt
            bytes.[bytes.Length / 3] <- bytes.[bytes.Length / 3] ^^^ 0x10uy
            File.WriteAllBytes(ckpt, bytes)
            let images, labels = idx 20
            for f, b in [ "t10k-images-idx3-ubyte.gz", images; "t10k-labels-idx1-ubyte.gz", labels; "train-images-idx3-ubyte.gz", images; "train-labels-idx1-ubyte.gz", labels ] do
                File.WriteAllBytes(dir.File f, gzipBytes b)
            expectFileFault ckpt (run [ "eval"; "--model"; "fmnist_mlp"; "--weights"; ckpt; "--dataset"; "fashion-mnist"; "--data-dir"; dir.Path ])
        }

        test "eval: a torch.save zip whose pickle is garbage (valid CRC) exits 1 naming the file" {
            use dir = new TempDir()
            let pth = dir.File "resnet8.pth"
            let ms = Mutate.members (File.ReadAllBytes(fixture "resnet8.pth"))
            let garbage = ms |> List.map (fun (n, d) -> if n.EndsWith "data.pkl" then n, Array.init d.Length (fun i -> byte (i * 31 + 7)) else n, d)
            File.WriteAllBytes(pth, Mutate.rebuild garbage)
            expectFileFault pth (run [ "eval"; "--model"; "resnet8"; "--weights"; pth; "--dataset"; "cifar100"; "--data-dir"; fixture "cifar100-sample.bin" ])
        }

        test "eval: a truncated dataset exits 1 naming the file" {
            use dir = new TempDir()
            let bin = dir.File "test.bin"
            File.WriteAllBytes(bin, (File.ReadAllBytes(fixture "cifar100-sample.bin")).[.. 5000])
            expectFileFault bin (run [ "eval"; "--model"; "resnet8"; "--weights"; fixture "resnet8.pth"; "--dataset"; "cifar100"; "--data-dir"; bin ])
        }

        test "train --config: an unclosed '{' exits 1 naming the file" {
            use dir = new TempDir()
            let yaml = dir.File "broken.yaml"
            File.WriteAllText(yaml, "experiment:\n  name: x\nsolver: {epochs: 1, lr: 0.1\n")
            expectFileFault yaml (run [ "train"; "--config"; yaml; "--out"; dir.File "run" ])
        }

        test "train --config: YAML nested 5,000 deep exits 1 naming the file" {
            use dir = new TempDir()
            let yaml = dir.File "deep.yaml"
            File.WriteAllText(yaml, "solver: " + String.replicate 5000 "[" + String.replicate 5000 "]" + "\n")
            expectFileFault yaml (run [ "train"; "--config"; yaml; "--out"; dir.File "run" ])
        }

        test "train --config: a flag error still exits 2" {
            use dir = new TempDir()
            let yaml = Path.Combine(repoRoot, "configs", "fashion-mnist", "kd_ls", "fmnist_wide_cnn_fmnist_mlp.yaml")
            let code, _, err = run [ "train"; "--config"; yaml; "--out"; dir.File "run" ]
            Expect.equal code 2 (sprintf "a teacher in a train experiment is a command problem; stderr:\n%s" err)
        }
    ]
