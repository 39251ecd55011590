/// Hand-written pickles and torch.save zip files, opcode by opcode, so that each hostile structure of
/// issue 22 is exactly what the test says (no Python is needed to make them).
module LogitStd.Hardening.Tests.Pickles

open System.IO
open System.IO.Compression
open System.Text

let proto = [ 0x80uy; 2uy ]
let emptyDict = [ byte '}' ]
let emptyList = [ byte ']' ]
let emptyTuple = [ byte ')' ]
let mark = [ byte '(' ]
let tuple = [ byte 't' ]
let tuple1 = [ 0x85uy ]
let tuple2 = [ 0x86uy ]
let append = [ byte 'a' ]
let appends = [ byte 'e' ]
let setitem = [ byte 's' ]
let reduce = [ byte 'R' ]
let pop = [ byte '0' ]
let stop = [ byte '.' ]
let newFalse = [ 0x89uy ]
let binPersId = [ byte 'Q' ]
let binput (n: int) = [ byte 'q'; byte n ]
let binget (n: int) = [ byte 'h'; byte n ]
let int1 (n: int) = [ byte 'K'; byte n ]
let str (s: string) = let b = Encoding.UTF8.GetBytes s in [ 0x8cuy; byte b.Length ] @ List.ofArray b
/// GLOBAL: `module\nname\n`.
let glob (m: string) (n: string) = byte 'c' :: List.ofArray (Encoding.ASCII.GetBytes(m + "\n" + n + "\n"))
/// INST (protocol 0): a class instantiated from the arguments since MARK — an opcode torch.save never writes.
let inst (m: string) (n: string) = mark @ (byte 'i' :: List.ofArray (Encoding.ASCII.GetBytes(m + "\n" + n + "\n")))

/// `{'c': T}` with `T = (L, L)` and `L = [T]`: a tuple and a list that hold each other.
let cycle =
    proto @ emptyDict @ binput 0 @ str "c" @ emptyList @ binput 1 @ binget 1 @ binget 1 @ tuple2 @ binput 2 @ append @ pop
    @ binget 2 @ setitem @ stop |> Array.ofList

/// `{'c': L40}` with `L0 = []` and `Lk = [Lk−1, Lk−1]`: 41 lists, 2⁴⁰ paths through them.
let shared =
    [ yield! proto @ emptyDict @ binput 0 @ str "c" @ emptyList @ binput 1 @ pop
      for k in 1..40 do yield! emptyList @ mark @ binget k @ binget k @ appends @ binput (k + 1) @ pop
      yield! binget 41 @ setitem @ stop ] |> Array.ofList

/// An OrderedDict state dict `{'w': tensor of 4 floats}` as torch.save writes it (storage '0'), then
/// `extra` (opcodes that push a key and a value, and SETITEM them into the dict).
let stateDict (extra: byte list) =
    let storage = mark @ str "storage" @ glob "torch" "FloatStorage" @ str "0" @ str "cpu" @ int1 4 @ tuple @ binPersId
    let hooks = glob "collections" "OrderedDict" @ emptyTuple @ reduce
    let tensor = glob "torch._utils" "_rebuild_tensor_v2" @ mark @ storage @ int1 0 @ int1 4 @ tuple1 @ int1 1 @ tuple1 @ newFalse @ hooks @ tuple @ reduce
    proto @ glob "collections" "OrderedDict" @ emptyTuple @ reduce @ binput 0 @ str "w" @ tensor @ setitem @ extra @ stop |> Array.ofList

/// The storage bytes of `stateDict`: four distinct floats, easy to find in a stored (uncompressed) zip.
let storageBytes = [| 1.5f; -2.25f; 3.125f; 4.0625f |] |> Array.collect System.BitConverter.GetBytes

/// A torch.save zip file: `archive/data.pkl` and `archive/data/0`, stored uncompressed.
let torchZip (path: string) (pickle: byte[]) =
    use zip = ZipFile.Open(path, ZipArchiveMode.Create)
    for name, bytes in [ "archive/data.pkl", pickle; "archive/data/0", storageBytes ] do
        use s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open()
        s.Write(bytes, 0, bytes.Length)

/// Flips one bit of the storage inside a written zip (its CRC-32 in the zip no longer matches).
let flipStorageByte (path: string) =
    let bytes = File.ReadAllBytes path
    let at = Seq.windowed storageBytes.Length bytes |> Seq.findIndex (fun w -> w = storageBytes)
    bytes.[at + 5] <- bytes.[at + 5] ^^^ 0x10uy
    File.WriteAllBytes(path, bytes)

/// A dict entry `key: callable(arg)` through a global — how a pickle asks Python to run code.
let call (key: string) (m: string) (n: string) (arg: string) = str key @ glob m n @ mark @ str arg @ tuple @ reduce @ setitem
