/// Checkpoints: PyTorch layouts in, PyTorch files out, mismatch reports, the project container.
module LogitStd.Models.Tests.CheckpointsTests

open System.IO
open Expecto
open TorchSharp
open LogitStd.Shell.Models
open LogitStd.Shell.Persistence
open LogitStd.Models.Tests.Fixtures

/// Eval-mode logits of a model on the resnet8 fixture input.
let private logitsOn (model: Classifier) (input: torch.Tensor) =
    model.eval ()
    use _ = torch.no_grad ()
    let struct (logits, _) = model.Forward input
    logits

/// resnet8 with the fixture weights loaded from one of its three layouts must reproduce PyTorch's logits.
let private loadsResnet8 (file: string) =
    let input, expected, _ = readIo (committed "resnet8.io.pt")
    use model = ModelZoo.Create("resnet8", 100)
    let report = Checkpoints.LoadInto(model, committed file)
    Expect.isTrue report.Fits "report fits"
    use logits = logitsOn model input
    Expect.isLessThanOrEqual (maxAbsDiff logits expected) 1e-4 "logits equal PyTorch's"

let private mismatchOf (f: unit -> unit) =
    try
        f ()
        failwith "expected a CheckpointMismatchException"
    with :? CheckpointMismatchException as e -> e

let private stateEqual (a: Classifier) (b: Classifier) =
    let sa, sb = a.state_dict (), b.state_dict ()
    Expect.sequenceEqual (Seq.sort sa.Keys) (Seq.sort sb.Keys) "same keys"
    for kv in sa do
        Expect.isTrue (bitEqual kv.Value sb[kv.Key]) $"{kv.Key} bit-identical"

let tests =
    testList
        "Checkpoints"
        [ testList
              "reading torch.save files"
              [ test "a bare state dict" { loadsResnet8 "resnet8.bare.pt" }
                test "mdistiller's {\"model\": state_dict}" { loadsResnet8 "resnet8.pth" }
                test "DataParallel module. prefix, nested beside epoch, accuracy and SGD state" {
                    loadsResnet8 "resnet8.module.pth"
                }
                test "the pre-1.6 legacy format, nested and prefixed (as the official CIFAR teachers)" {
                    loadsResnet8 "resnet8.legacy.pth"
                    Expect.equal (Checkpoints.DetectFormat(committed "resnet8.legacy.pth")) CheckpointFormat.PyTorch "detected"
                    Expect.equal (Checkpoints.ReadClassCount(committed "resnet8.legacy.pth")) (System.Nullable 100) "classes"
                }
                test "numpy scalars beside the weights (PyBridge cannot construct them; our reader keeps them opaque)" {
                    loadsResnet8 "resnet8.numpy.pth"
                }
                test "the class count is read before loading" {
                    Expect.equal (Checkpoints.ReadClassCount(committed "resnet8.module.pth")) (System.Nullable 100) "classes"
                    let s = Checkpoints.Inspect(committed "resnet8x4.pth")
                    Expect.equal s.Format CheckpointFormat.PyTorch "format"
                    Expect.equal s.Shapes["fc.weight"] [| 100L; 256L |] "head shape"
                } ]

          testList
              "mismatches are reported by name with shapes, and the model is left unchanged"
              [ test "missing tensors (resnet8 file into resnet14)" {
                    use model = ModelZoo.Create("resnet14", 100)
                    let weightOf (m: Classifier) = (m.state_dict ()).["layer1.0.conv1.weight"]
                    let before = (weightOf model).clone ()
                    let e = mismatchOf (fun () -> Checkpoints.LoadInto(model, committed "resnet8.pth") |> ignore)
                    Expect.isNonEmpty e.Report.Missing "missing listed"
                    Expect.isEmpty e.Report.Unexpected "nothing unexpected"
                    Expect.stringContains e.Message "layer1.1.conv1.weight [16, 16, 3, 3]" "names the tensor with its shape"
                    Expect.isTrue (bitEqual before (weightOf model)) "model unchanged"
                }
                test "unexpected tensors (resnet14 file into resnet8)" {
                    use dir = new TempDir()
                    use r14 = ModelZoo.Create("resnet14", 100)
                    Checkpoints.SavePyTorch(r14, dir.File "r14.pt")
                    use model = ModelZoo.Create("resnet8", 100)
                    let e = mismatchOf (fun () -> Checkpoints.LoadInto(model, dir.File "r14.pt") |> ignore)
                    Expect.isNonEmpty e.Report.Unexpected "unexpected listed"
                    Expect.stringContains e.Message "unexpected in the checkpoint" "section title"
                    Expect.stringContains e.Message "layer3.1.bn2.running_mean [64]" "names the tensor"
                }
                test "mis-shaped tensors (100-class file into a 10-class model)" {
                    use model = ModelZoo.Create("resnet8", 10)
                    let e = mismatchOf (fun () -> Checkpoints.LoadInto(model, committed "resnet8.pth") |> ignore)
                    Expect.equal (e.Report.Mismatched |> Seq.map _.Key |> List.ofSeq) [ "fc.weight"; "fc.bias" ] "head only"
                    Expect.stringContains e.Message "fc.weight: model [10, 64], checkpoint [100, 64]" "both shapes"
                }
                test "a class-count mismatch is rejected before loading with both numbers" {
                    use model = ModelZoo.Create("resnet8", 100)
                    let ex =
                        try
                            Checkpoints.EnsureFits(model, committed "resnet8.pth", 10) |> ignore
                            failwith "expected ClassCountMismatchException"
                        with :? ClassCountMismatchException as e -> e
                    Expect.stringContains ex.Message "100 classes" "checkpoint count"
                    Expect.stringContains ex.Message "has 10" "dataset count"
                    let ok = Checkpoints.EnsureFits(model, committed "resnet8.module.pth", 100)
                    Expect.equal ok.Classes (System.Nullable 100) "fits"
                }
                test "num_batches_tracked may be absent" {
                    use dir = new TempDir()
                    use src = ModelZoo.Create("resnet8", 100)
                    let sd = src.state_dict ()
                    let trimmed =
                        sd |> Seq.filter (fun kv -> not (kv.Key.EndsWith "num_batches_tracked")) |> Seq.map (fun kv -> kv.Key, kv.Value) |> dict
                    Expect.isLessThan trimmed.Count sd.Count "the model has num_batches_tracked buffers"
                    PyTorchFormat.WriteStateDict(System.Collections.Generic.Dictionary trimmed, dir.File "t.pt")
                    use model = ModelZoo.Create("resnet8", 100)
                    let r = Checkpoints.LoadInto(model, dir.File "t.pt")
                    Expect.isTrue r.Fits "fits"
                    Expect.isNonEmpty r.Ignored "tolerated counters listed"
                }
                test "a file that is no checkpoint is a format error" {
                    use dir = new TempDir()
                    File.WriteAllBytes(dir.File "junk.pth", [| 0x80uy; 0x02uy; 0x8auy; 0x0auy |])
                    Expect.throwsT<CheckpointFormatException>
                        (fun () -> Checkpoints.DetectFormat(dir.File "junk.pth") |> ignore)
                        "legacy/non-zip rejected"
                } ]

          testList
              "loading for evaluation"
              [ test "validates, loads and switches to eval mode" {
                    let input, expected, _ = readIo (committed "resnet8.io.pt")
                    use model = Checkpoints.LoadForEvaluation("RESNET8", committed "resnet8.legacy.pth", 100)
                    Expect.isFalse model.training "eval mode"
                    use _ = torch.no_grad ()
                    let struct (logits, _) = model.Forward input
                    Expect.isLessThanOrEqual (maxAbsDiff logits expected) 1e-4 "PyTorch's logits"
                }
                test "a dataset of another class count is rejected with both numbers" {
                    let ex =
                        try
                            Checkpoints.LoadForEvaluation("resnet8", committed "resnet8.pth", 10) |> ignore
                            failwith "expected ClassCountMismatchException"
                        with :? ClassCountMismatchException as e -> e
                    Expect.equal (ex.CheckpointClasses, ex.RequiredClasses) (100, 10) "both numbers"
                    Expect.stringContains ex.Message "has 100 classes but the dataset has 10" "message"
                }
                test "another architecture is rejected naming the tensors" {
                    let ex =
                        try
                            Checkpoints.LoadForEvaluation("resnet8x4", committed "resnet8.pth", 100) |> ignore
                            failwith "expected CheckpointMismatchException"
                        with :? CheckpointMismatchException as e -> e
                    Expect.stringContains ex.Message "conv1.weight: model [32, 3, 3, 3], checkpoint [16, 3, 3, 3]" "shapes"
                } ]

          testList
              "writing PyTorch files"
              [ test "SavePyTorch round-trips through the reader, bare and nested" {
                    use dir = new TempDir()
                    use src = ModelZoo.Create("resnet8", 100)
                    Checkpoints.LoadInto(src, committed "resnet8.pth") |> ignore
                    for nested in [ false; true ] do
                        let path = dir.File $"r8-{nested}.pth"
                        Checkpoints.SavePyTorch(src, path, nested)
                        use dst = ModelZoo.Create("resnet8", 100)
                        Checkpoints.LoadInto(dst, path) |> ignore
                        stateEqual src dst
                }
                test "PyTorch loads the files back (torch.load + strict load_state_dict) and gets the same logits" {
                    use dir = new TempDir()
                    use src = ModelZoo.Create("resnet8", 100)
                    Checkpoints.LoadInto(src, committed "resnet8.pth") |> ignore
                    for nested in [ false; true ] do
                        let written, io = dir.File $"from-dotnet-{nested}.pth", committed "resnet8.io.pt"
                        Checkpoints.SavePyTorch(src, written, nested)
                        match runParityScript $"--check-load \"{written}\" --model resnet8 --io \"{io}\"" with
                        | None -> skiptest "/usr/bin/python3 with torch is not installed (Debian python3-torch)"
                        | Some(code, output) -> Expect.equal code 0 $"python check failed (nested = {nested}):\n{output}"
                } ]

          testList
              "the project's own format"
              [ test "round-trips every section exactly" {
                    use dir = new TempDir()
                    torch.manual_seed 3L |> ignore
                    use model = ModelZoo.Create("wrn_16_1", 100)
                    let path = dir.File "ckpt.lsc"
                    use extraF64 = torch.randn([| 3L; 5L |], dtype = torch.float64)
                    use extraI64 = torch.arange(10L, dtype = torch.int64)
                    let rng = [| 0uy .. 255uy |]
                    Checkpoints.Save(
                        model,
                        path,
                        fun c ->
                            c.SetTensors("optimizer", dict [ "0.momentum_buffer", extraF64; "step", extraI64 ])
                            c.SetJson("progress", """{"epoch": 17, "bestAccuracy": 71.25}""")
                            c.SetBytes("rng", rng)
                    )
                    Expect.equal (Checkpoints.DetectFormat path) CheckpointFormat.LogitStd "detected"
                    use loaded = Checkpoints.Load path
                    Expect.sequenceEqual loaded.SectionNames [ "model"; "model-info"; "optimizer"; "progress"; "rng" ] "sections"
                    let opt = loaded.GetTensors "optimizer"
                    Expect.isTrue (bitEqual opt["0.momentum_buffer"] extraF64) "float64 exact"
                    Expect.isTrue (bitEqual opt["step"] extraI64) "int64 exact, dtype kept"
                    Expect.equal (loaded.GetJson "progress") """{"epoch": 17, "bestAccuracy": 71.25}""" "json"
                    Expect.sequenceEqual (loaded.GetBytes("rng").ToArray()) rng "bytes"
                    use back = ModelZoo.Create("wrn_16_1", 100)
                    Checkpoints.LoadInto(back, path) |> ignore
                    stateEqual model back
                    let s = Checkpoints.Inspect path
                    Expect.equal s.ModelName "wrn_16_1" "model name recorded"
                    Expect.equal s.Classes (System.Nullable 100) "class count from the manifest"
                }
                test "writes atomically: no temporary file is left and an existing file is replaced" {
                    use dir = new TempDir()
                    let path = dir.File "ckpt.lsc"
                    use a = ModelZoo.Create("fmnist_mlp", 10)
                    Checkpoints.Save(a, path)
                    use b = ModelZoo.Create("fmnist_small_cnn", 10)
                    Checkpoints.Save(b, path)
                    Expect.sequenceEqual (Directory.GetFiles dir.Path |> Array.map Path.GetFileName) [ "ckpt.lsc" ] "only the target"
                    Expect.equal (Checkpoints.Inspect path).ModelName "fmnist_small_cnn" "replaced"
                }
                test "a missing section is a clear error" {
                    use c = new ProjectCheckpoint()
                    c.SetJson("a", "{}")
                    Expect.throwsT<System.Collections.Generic.KeyNotFoundException>
                        (fun () -> c.GetTensors "model" |> ignore)
                        "no tensor section"
                } ]
          ]
