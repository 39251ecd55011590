/// `logitstd predict` and the deployed student on real data: an exported Fashion-MNIST model gives
/// `eval`'s test top-1 and the same prediction for every test image; PNG and IDX inputs agree;
/// images of the wrong channel count or size are refused with what was expected.
module LogitStd.Export.Tests.PredictTests

open System
open System.Globalization
open System.IO
open System.Runtime.InteropServices
open Expecto
open SkiaSharp
open LogitStd.Core
open LogitStd.Shell.Cli
open LogitStd.Shell.Data
open LogitStd.Shell.Export
open LogitStd.Shell.Training
open LogitStd.Shell.Runs
open LogitStd.Models.Tests.Fixtures

let private capture (f: TextWriter -> TextWriter -> int) =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = LogitStd.Shell.ExitCodes.Run((fun () -> f out err), err)
    code, out.ToString(), err.ToString()

let predictOptions onnx images index : DeployCli.PredictOptions =
    { Onnx = Some onnx; Model = None; Weights = None; Images = images; Top = 3; Index = index; Threads = Some 1 }

let predict o = capture (fun out err -> PredictCommand.Run(o, out, err))

/// Writes a PNG: greyscale for 1 channel, RGB for 3 (CHW bytes).
let writePng (path: string) (chw: byte[]) (channels: int) (h: int) (w: int) =
    let colour = if channels = 1 then SKColorType.Gray8 else SKColorType.Rgba8888
    use bmp = new SKBitmap(SKImageInfo(w, h, colour, SKAlphaType.Opaque))
    let pixels =
        if channels = 1 then chw
        else Array.init (4 * h * w) (fun i -> if i % 4 = 3 then 255uy else chw.[(i % 4) * h * w + i / 4])
    Marshal.Copy(pixels, 0, bmp.GetPixels(), pixels.Length)
    use image = SKImage.FromBitmap bmp
    use data = image.Encode(SKEncodedImageFormat.Png, 100)
    File.WriteAllBytes(path, data.ToArray())

let private fashionDir =
    [ Path.Combine(repoRoot, "data", "fashion-mnist"); "/usr/share/datasets/fashion-mnist" ]
    |> List.tryFind (fun d -> File.Exists(Path.Combine(d, "t10k-images-idx3-ubyte.gz")))

/// fmnist_mlp trained for one epoch on 5,000 real training images and exported; shared by the tests below.
let private trained =
    lazy
        (match fashionDir with
         | None -> None
         | Some data ->
             let dir = Path.Combine(Path.GetTempPath(), "logitstd-export-tests-" + Guid.NewGuid().ToString("N"))
             System.AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> try Directory.Delete(dir, true) with _ -> ())
             let run = Path.Combine(dir, "run")
             let o: TrainCli.TrainOptions =
                 { Distill = false; Config = None; Dataset = Some Domain.Fashion_Mnist; DataDir = Some data; Model = Some "fmnist_mlp"
                   Teacher = None; TeacherModel = None; Method = None; LogitStand = false; BaseTemp = None; KdWeight = None
                   Epochs = Some 1; BatchSize = Some 64; Lr = Some 0.05; Seed = Some 1; TrainSubset = Some 5000; Name = None
                   Threads = Some 1; Device = DeviceChoice.Cpu; Out = Some run; Resume = None; TeacherCache = None; ChannelsLast = false }
             let code, _, err = capture (fun out err -> TrainCommand.Run(o, out, err))
             if code <> 0 then failwithf "training failed: %s" err
             let ckpt = Path.Combine(run, "checkpoints", "best.ckpt")
             let onnx = Path.Combine(dir, "student.onnx")
             let xo: DeployCli.ExportOptions = { Model = "fmnist_mlp"; Weights = ckpt; Format = DeployCli.Onnx; Out = onnx; Opset = None; Features = false }
             let code, _, err = capture (fun out err -> ExportCommand.Run(xo, out, err))
             if code <> 0 then failwithf "export failed: %s" err
             Some(data, dir, ckpt, onnx))

let private withTrained f =
    match trained.Value with
    | None -> skiptest "real Fashion-MNIST not found (data/fashion-mnist or /usr/share/datasets/fashion-mnist; `dotnet cake --target=Data`)"
    | Some t -> f t

let tests =
    testList "predict" [
        testCase "real Fashion-MNIST: the exported student's test top-1 and all 10,000 predictions equal eval's" <| fun () ->
            withTrained <| fun (data, dir, ckpt, onnx) ->
                let csv = Path.Combine(dir, "logits.csv")
                let eo: Cli.EvalOptions =
                    { Model = "fmnist_mlp"; Weights = ckpt; Dataset = Domain.Fashion_Mnist; DataDir = Some data; Split = Domain.Test
                      BatchSize = 500; SaveLogits = Some csv; SaveFeatures = None; Threads = Some 1 }
                let code, out, err = capture (fun o e -> EvalCommand.Run(eo, o, e))
                Expect.equal code 0 err
                let argmax (xs: float[]) = Array.findIndex ((=) (Array.max xs)) xs
                let evalPredictions =
                    File.ReadAllLines csv |> Array.skip 1
                    |> Array.map (fun l -> l.Split(',') |> Array.map (fun v -> Double.Parse(v, CultureInfo.InvariantCulture)) |> argmax)
                let struct (_, test) = FashionMnist.Open data
                let transform = Transforms.FashionMnistTest()
                use session = OnnxClassifierSession.Open(onnx, 2)
                let size = 28 * 28
                let predictions =
                    [| for start in 0 .. 1000 .. test.Count - 1 ->
                           let n = min 1000 (test.Count - start)
                           let batch = Array.zeroCreate<float32> (n * size)
                           for i in 0 .. n - 1 do
                               let mutable random = SampleRandom(0UL)
                               transform.Apply(test.GetImage(start + i), Span<float32>(batch, i * size, size), &random)
                           let logits = session.Run(batch, n)
                           Array.init n (fun i -> Array.sub logits (i * 10) 10 |> Array.map float |> argmax) |]
                    |> Array.concat
                Expect.equal predictions evalPredictions "every image's prediction"
                let top1 = 100.0 * float (Seq.zip predictions test.Labels |> Seq.filter (fun (p, l) -> p = l) |> Seq.length) / float test.Count
                printfn "fmnist_mlp (1 epoch, 5,000 images): ONNX Runtime top-1 %.2f%%" top1
                Expect.stringContains out (sprintf "top-1      %s%%" (top1.ToString("F2", CultureInfo.InvariantCulture))) "eval's top-1"

        testCase "eval --save-features: one row of D features per test image, the run's analysis features (best checkpoint)" <| fun () ->
            withTrained <| fun (data, dir, ckpt, _) ->
                let csv = Path.Combine(dir, "features.csv")
                let eo: Cli.EvalOptions =
                    { Model = "fmnist_mlp"; Weights = ckpt; Dataset = Domain.Fashion_Mnist; DataDir = Some data; Split = Domain.Test
                      BatchSize = 500; SaveLogits = None; SaveFeatures = Some csv; Threads = Some 1 }
                let code, out, err = capture (fun o e -> EvalCommand.Run(eo, o, e))
                Expect.equal code 0 err
                let lines = File.ReadAllLines csv
                let saved = FeatureFile.Read(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName ckpt), "analysis", "student_test_features.npy"))
                Expect.equal lines[0] (String.Join(",", [ for j in 0 .. saved.Columns - 1 -> sprintf "feature_%d" j ])) "the header"
                Expect.equal (lines.Length - 1, saved.Rows) (10000, 10000) "a row per test image, in the CSV and in the run folder"
                Expect.stringContains out (sprintf "features   10000 rows × %d columns" saved.Columns) "says what it wrote"
                for r in [ 0; 1; 4999; 9999 ] do
                    let row = lines[r + 1].Split(',') |> Array.map (fun v -> Single.Parse(v, CultureInfo.InvariantCulture))
                    for c in 0 .. saved.Columns - 1 do
                        Expect.floatClose { absolute = 1e-5; relative = 1e-5 } (float row[c]) (float saved[r, c]) (sprintf "image %d, feature %d" r c)

        testCase "a greyscale PNG gives the same top-3 as the same IDX record, from ONNX and from the checkpoint" <| fun () ->
            withTrained <| fun (data, dir, ckpt, onnx) ->
                let idx = Path.Combine(data, "t10k-images-idx3-ubyte.gz")
                let struct (_, test) = FashionMnist.Open data
                let image = test.GetImage 7
                let png = Path.Combine(dir, "seven.png")
                writePng png (image.Pixels.ToArray()) 1 28 28
                let body (text: string) = text.Split('\n') |> Array.skip 2 |> String.concat "\n"
                let c1, fromIdx, e1 = predict (predictOptions onnx idx (Some 7))
                let c2, fromPng, e2 = predict (predictOptions onnx png None)
                let c3, fromTorch, e3 = predict { predictOptions onnx png None with Onnx = None; Model = Some "fmnist_mlp"; Weights = Some ckpt }
                Expect.equal (c1, c2, c3) (0, 0, 0) (e1 + e2 + e3)
                Expect.equal (body fromPng) (body fromIdx) "PNG = IDX record"
                Expect.equal (body fromTorch) (body fromPng) "TorchSharp = ONNX Runtime"
                Expect.isTrue (FashionMnist.ClassNames |> Seq.exists (fun n -> fromPng.Contains n)) "class names"
                Expect.stringContains fromPng "%" "probabilities"

        testCase "wrong channel count or size is refused (exit 1) with what the model expects" <| fun () ->
            withTrained <| fun (_, dir, _, onnx) ->
                let rgb = Path.Combine(dir, "rgb.png")
                writePng rgb (Array.create (3 * 28 * 28) 128uy) 3 28 28
                let code, _, err = predict (predictOptions onnx rgb None)
                Expect.equal code 1 err
                Expect.stringContains err "rgb.png: a 3-channel (RGB) 28×28 image" "what it got"
                Expect.stringContains err "expects 1-channel (greyscale) 28×28 images" "what was expected"
                let small = Path.Combine(dir, "small.png")
                writePng small (Array.create (20 * 20) 128uy) 1 20 20
                let code, _, err = predict (predictOptions onnx small None)
                Expect.equal code 1 err
                Expect.stringContains err "20×20" "its size"
                let code, _, err = predict (predictOptions onnx (committed "cifar100-sample.bin") (Some 0))
                Expect.equal code 1 err
                Expect.stringContains err "a 3-channel (RGB) 32×32 image" "a CIFAR record into a Fashion-MNIST model"

        testCase "dataset files need --index, in range; a file that is no image is named" <| fun () ->
            withTrained <| fun (data, dir, _, onnx) ->
                let idx = Path.Combine(data, "t10k-images-idx3-ubyte.gz")
                let code, _, err = predict (predictOptions onnx idx None)
                Expect.equal code 2 err
                Expect.stringContains err "--index" "says how"
                let code, _, err = predict (predictOptions onnx idx (Some 10000))
                Expect.equal code 1 err
                Expect.stringContains err "out of range: the file holds 10,000 images" "the range"
                let junk = Path.Combine(dir, "junk.dat")
                File.WriteAllText(junk, "not an image")
                let code, _, err = predict (predictOptions onnx junk (Some 0))
                Expect.equal code 1 err
                Expect.stringContains err "junk.dat: not a PNG/JPEG image" "names the file"
                let code, _, err = predict (predictOptions junk idx (Some 0))
                Expect.equal code 1 err
                Expect.stringContains err "junk.dat: ONNX Runtime cannot load it" "an ONNX file that is not one"

        testCase "a CIFAR-100 record through an exported resnet8x4: CIFAR-100 class names" <| fun () ->
            use dir = new TempDir()
            let onnx = dir.File "r.onnx"
            let code, _, err = capture (fun o e -> ExportCommand.Run({ Model = "resnet8x4"; Weights = committed "resnet8x4.pth"; Format = DeployCli.Onnx; Out = onnx; Opset = None; Features = false }, o, e))
            Expect.equal code 0 err
            let code, out, err = predict { predictOptions onnx (committed "cifar100-sample.bin") (Some 1) with Top = 100 }
            Expect.equal code 0 err
            Expect.stringContains out "cifar100-sample.bin[1]" "the record"
            Expect.equal (out.Split('\n') |> Array.filter (fun l -> l.Contains "%") |> Array.length) 100 "--top 100 lists every class"
            for name in [ "apple"; "worm"; "aquarium_fish" ] do Expect.stringContains out name "CIFAR-100 names"
    
        testCase "an ImageNet model takes RGB images of any size (resize 256, centre crop 224) and refuses greyscale ones" <| fun () ->
            use dir = new TempDir()
            use model = LogitStd.Export.Tests.Helpers.randomModel "MobileNetV1" 1000 2L
            let onnx = dir.File "m.onnx"
            OnnxExporter.Write(model, onnx) |> ignore
            let folder = dir.File "images"
            Directory.CreateDirectory folder |> ignore
            writePng (Path.Combine(folder, "a.png")) (Array.init (3 * 260 * 300) (fun i -> byte (i % 251))) 3 260 300
            writePng (Path.Combine(folder, "b.png")) (Array.init (3 * 224 * 224) (fun i -> byte (i % 13))) 3 224 224
            let code, out, err = predict (predictOptions onnx folder None)
            Expect.equal code 0 err
            Expect.stringContains out "a.png" "first image of the folder"
            Expect.stringContains out "b.png" "second image of the folder"
            Expect.equal (out.Split('\n') |> Array.filter (fun l -> l.Contains "%") |> Array.length) 6 "top 3 each"
            let grey = dir.File "grey.png"
            writePng grey (Array.create (224 * 224) 9uy) 1 224 224
            let code, _, err = predict (predictOptions onnx grey None)
            Expect.equal code 1 err
            Expect.stringContains err "expects 3-channel (RGB) images (any size" "what was expected"
    ]
