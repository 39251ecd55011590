/// The undamaged files every mutation starts from: small, valid instances of each format, made here
/// with the project's own writers (or taken from the committed fixtures), so the fuzz needs no data.
module LogitStd.Fuzz.Seeds

open System
open System.Formats.Tar
open System.IO
open System.IO.Compression
open System.Text
open System.Text.Json.Nodes
open SkiaSharp
open TorchSharp

let fixture name = Path.Combine(repoRoot, "tests", "fixtures", "parity", name)

let private gzip (b: byte[]) =
    use ms = new MemoryStream()
    do
        use g = new GZipStream(ms, CompressionLevel.Fastest, true)
        g.Write(b, 0, b.Length)
    ms.ToArray()

let gunzip (b: byte[]) =
    use g = new GZipStream(new MemoryStream(b), CompressionMode.Decompress)
    use ms = new MemoryStream()
    g.CopyTo ms
    ms.ToArray()

let gzipBytes = gzip

/// An IDX image file of `count` 28×28 images, and its label file (labels 0..9), uncompressed.
let idx (count: int) =
    let images = Array.zeroCreate<byte> (16 + count * 784)
    Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan 0, 0x803)
    Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan 4, count)
    Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan 8, 28)
    Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan 12, 28)
    for i in 16 .. images.Length - 1 do images.[i] <- byte (i * 7)
    let labels = Array.zeroCreate<byte> (8 + count)
    Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan 0, 0x801)
    Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan 4, count)
    for i in 0 .. count - 1 do labels.[8 + i] <- byte (i % 10)
    images, labels

/// A CIFAR-100 binary file of `count` records.
let cifar (count: int) =
    Array.init (count * 3074) (fun i ->
        match i % 3074 with
        | 0 -> byte (i / 3074 % 20)
        | 1 -> byte (i / 3074 % 100)
        | _ -> byte i)

/// cifar-100-binary.tar.gz with train.bin, test.bin and the 100 class names; also the tar uncompressed.
let cifarArchive () =
    use ms = new MemoryStream()
    do
        use tar = new TarWriter(ms, TarEntryFormat.Pax, true)
        let add (name: string) (data: byte[]) =
            let e = PaxTarEntry(TarEntryType.RegularFile, "cifar-100-binary/" + name)
            e.DataStream <- new MemoryStream(data)
            tar.WriteEntry e
        add "train.bin" (cifar 4)
        add "test.bin" (cifar 2)
        add "fine_label_names.txt" (Encoding.UTF8.GetBytes(String.Join("\n", Array.init 100 (sprintf "class%d"))))
    let t = ms.ToArray()
    t, gzip t

/// A 16×16 image encoded as PNG or JPEG.
let image (format: SKEncodedImageFormat) =
    use bmp = new SKBitmap(16, 16)
    for y in 0..15 do
        for x in 0..15 do bmp.SetPixel(x, y, SKColor(byte (x * 16), byte (y * 16), 128uy))
    use img = SKImage.FromBitmap bmp
    use data = img.Encode(format, 90)
    data.ToArray()

/// Experiment files from configs/: one per dataset family.
let yamls () =
    [ "fashion-mnist/kd_ls/fmnist_wide_cnn_fmnist_mlp.yaml"; "cifar100/dkd_ls/resnet32x4_resnet8x4.yaml" ]
    |> List.map (fun p -> File.ReadAllText(Path.Combine(repoRoot, "configs", p)))

/// A reference file of the smallest committed case of each loss.
let reference () =
    let root = JsonNode.Parse(File.ReadAllText(Path.Combine(repoRoot, "tests", "reference", "logitstd-reference.json"))).AsObject()
    let cases =
        root.["cases"].AsArray()
        |> Seq.groupBy (fun c -> c.["loss"].GetValue<string>())
        |> Seq.map (fun (_, cs) -> cs |> Seq.minBy (fun c -> c.ToJsonString().Length))
        |> Seq.map (fun c -> c.DeepClone())
        |> Array.ofSeq
    JsonObject(dict [ "format", JsonValue.Create "logitstd-reference/1" :> JsonNode; "source", JsonValue.Create "fuzz seed"; "cases", JsonArray(cases) ]).ToJsonString()

/// The run-folder files `plot`, `results` and `--resume` read, as the trainer writes them.
let summaryJson =
    """{
  "name": "kd_ls_fuzz", "dataset": "fashion-mnist", "classes": 10, "student": "fmnist_mlp", "teacher": "fmnist_wide_cnn",
  "method": "kd", "standardize": true, "seed": 0, "epochs": 3, "epochs_done": 3, "objective": "0.1·CE + 9·KD(τ=2, zscore)",
  "best_top1": 81.25, "best_epoch": 2, "final_top1": 80.5, "final_top5": 99.1, "finished": true
}"""

let metricsCsv =
    "epoch,lr,loss_total,loss_ce,loss_kd,train_top1,test_top1,test_top5,test_loss,ctkd_temperature,epoch_seconds\n"
    + "1,0.05,2.5,0.2,2.3,60.5,70.25,97.5,0.8,,3.5\n2,0.05,1.5,0.1,1.4,75.5,81.25,99,0.6,,3.4\n3,0.005,1.2,0.1,1.1,78,80.5,99.1,0.55,,3.4\n"

let metricsJsonl =
    String.Join("", [ for e in 1..3 -> sprintf "{\"epoch\":%d,\"lr\":0.05,\"loss_total\":1.5,\"loss_ce\":0.1,\"loss_kd\":1.4,\"train_top1\":75.5,\"test_top1\":81.25,\"test_top5\":99,\"test_loss\":0.6,\"ctkd_temperature\":null,\"epoch_seconds\":3.4}\n" e ])

let logitsCsv =
    let rows = [ for i in 0..7 -> sprintf "%d,%s" (i % 3) (String.Join(",", [ for k in 0..2 -> sprintf "%.4f" (float (i * 3 + k) / 7.0 - 1.0) ])) ]
    "label,logit_0,logit_1,logit_2\n" + String.Join("\n", rows) + "\n"

let runJson = """{"threads":2}"""

/// The state dict of a model, as plain arrays, for comparing what a reader loaded with what was saved.
let stateOf (m: torch.nn.Module) =
    m.state_dict()
    |> Seq.map (fun kv -> kv.Key, kv.Value.to_type(torch.ScalarType.Float64).contiguous().data<float>().ToArray())
    |> Map.ofSeq
