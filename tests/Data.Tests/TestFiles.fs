/// Small files in the real dataset formats, written to a fresh temporary folder per test.
module LogitStd.Data.Tests.TestFiles

open System
open System.IO
open System.IO.Compression
open System.Buffers.Binary
open System.Formats.Tar
open SkiaSharp

/// A fresh, empty temporary folder (deleted at process exit is not guaranteed; the OS temp cleaner owns it).
let tempDir (name: string) =
    let dir = Path.Combine(Path.GetTempPath(), "logitstd-data-tests", $"{name}-{Guid.NewGuid():N}")
    Directory.CreateDirectory dir |> ignore
    dir

/// Deterministic pseudo-random bytes (a fixed LCG) so every run writes the same files.
let bytes (seed: int) (n: int) =
    let mutable s = uint32 seed * 2654435761u + 12345u
    Array.init n (fun _ ->
        s <- s * 1664525u + 1013904223u
        byte (s >>> 24))

/// CIFAR-100 binary records: (coarse, fine) per record, pixels from `bytes`.
let cifarRecords (labels: (int * int) list) =
    labels
    |> List.mapi (fun i (coarse, fine) -> Array.concat [ [| byte coarse; byte fine |]; bytes (1000 + i) 3072 ])
    |> Array.concat

/// `n` valid records: coarse = fine / 5, fine = i % 100.
let validCifar n = cifarRecords [ for i in 0 .. n - 1 -> (i % 100) / 5, i % 100 ]

/// Writes a gzipped file.
let writeGz (path: string) (content: byte[]) =
    use file = File.Create path
    use gz = new GZipStream(file, CompressionLevel.Fastest)
    gz.Write(content, 0, content.Length)

/// An IDX image file body: magic, count, rows, cols, then `count × rows × cols` pixel bytes.
let idxImages (magic: int) (count: int) (rows: int) (cols: int) (pixels: byte[]) =
    let header = Array.zeroCreate<byte> 16
    BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), magic)
    BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count)
    BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows)
    BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), cols)
    Array.append header pixels

/// An IDX label file body: magic, count, then the labels.
let idxLabels (magic: int) (labels: byte[]) =
    let header = Array.zeroCreate<byte> 8
    BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), magic)
    BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), labels.Length)
    Array.append header labels

/// Writes a Fashion-MNIST-shaped folder: `train` and `test` images of 28×28 with labels i % 10.
let writeFashionFolder (dir: string) (train: int) (test: int) =
    let write prefix n =
        writeGz (Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz")) (idxImages 0x803 n 28 28 (bytes n (n * 784)))
        writeGz (Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz")) (idxLabels 0x801 (Array.init n (fun i -> byte (i % 10))))
    write "train" train
    write "t10k" test

/// A tar.gz with the given (member name, content) pairs.
let writeTarGz (path: string) (members: (string * byte[]) list) =
    use file = File.Create path
    use gz = new GZipStream(file, CompressionLevel.Fastest)
    use tar = new TarWriter(gz, TarEntryFormat.Pax, false)
    for name, content in members do
        let entry = PaxTarEntry(TarEntryType.RegularFile, name)
        entry.DataStream <- new MemoryStream(content)
        tar.WriteEntry entry

/// A PNG of the given size whose pixel (x, y) is (x·10 + seed, y·10, 200) in RGB.
let writePng (path: string) (width: int) (height: int) (seed: int) =
    use bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul)
    for y in 0 .. height - 1 do
        for x in 0 .. width - 1 do
            bitmap.SetPixel(x, y, SKColor(byte ((x * 10 + seed) % 256), byte ((y * 10) % 256), 200uy))
    use image = SKImage.FromBitmap bitmap
    use data = image.Encode(SKEncodedImageFormat.Png, 100)
    File.WriteAllBytes(path, data.ToArray())

/// An image folder `root/split/class/k.png` with `perClass` images per class of varying size.
let writeImageFolder (root: string) (split: string) (classes: string list) (perClass: int) =
    for c, name in List.indexed classes do
        let dir = Path.Combine(root, split, name)
        Directory.CreateDirectory dir |> ignore
        for k in 0 .. perClass - 1 do
            writePng (Path.Combine(dir, $"{k}.png")) (20 + 3 * k) (16 + 2 * c) (c * 7 + k)

/// Runs `f` and returns the DatasetException it throws, failing the test if it throws none.
let expectDatasetError (what: string) (f: unit -> 'a) : LogitStd.Shell.Data.DatasetException =
    try
        f () |> ignore
        failwithf "%s: expected a DatasetException, got none" what
    with :? LogitStd.Shell.Data.DatasetException as e -> e

/// The error message names `part` (a file, a record, a value).
let contains (text: string) (part: string) = Expecto.Expect.stringContains text part $"message names {part}"
