/// Small generated datasets shared by the test projects that run the program.
module LogitStd.Tests.TinyData

open System
open System.IO

/// Writes a small Fashion-MNIST-format dataset (gzipped IDX, 10 classes, 28×28) to `dir`: class c
/// is a bright horizontal band at rows 2c..2c+3 over seeded noise, so a small CNN learns it in a few
/// epochs. For tests of the training engine; real experiments use the real Fashion-MNIST.
let writeTinyFashionMnist (dir: string) (trainCount: int) (testCount: int) (seed: int) =
    let rng = Random(seed)
    let write (name: string) (bytes: byte[]) =
        use file = File.Create(Path.Combine(dir, name))
        use gz = new Compression.GZipStream(file, Compression.CompressionLevel.Fastest)
        gz.Write(bytes, 0, bytes.Length)
    let be (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]
    let make (prefix: string) (n: int) =
        let labels = Array.init n (fun i -> byte (i % 10))
        let pixels =
            Array.init (n * 784) (fun j ->
                let img, p = j / 784, j % 784
                let row = p / 28
                let c = int labels.[img]
                let band = row >= 2 * c + 2 && row < 2 * c + 6
                byte ((if band then 180 else 0) + rng.Next 60))
        write (prefix + "-images-idx3-ubyte.gz") (Array.concat [ be 0x803; be n; be 28; be 28; pixels ])
        write (prefix + "-labels-idx1-ubyte.gz") (Array.concat [ be 0x801; be n; labels ])
    Directory.CreateDirectory dir |> ignore
    make "train" trainCount
    make "t10k" testCount
