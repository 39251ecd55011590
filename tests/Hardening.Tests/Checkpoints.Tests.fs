/// B1–B3 and the pickle globals: checkpoints from strangers (`export` reads a checkpoint first thing).
module LogitStd.Hardening.Tests.CheckpointsTests

open System.IO
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Shell.Persistence
open LogitStd.Hardening.Tests.Child
open LogitStd.Hardening.Tests.Pickles

/// `export` of `file` (a resnet8 checkpoint, it claims) into the same folder.
let private export (dir: string) (file: string) =
    [ "export"; "--model"; "resnet8"; "--weights"; file; "--format"; "pytorch"; "--out"; Path.Combine(dir, "out.pt") ]

let private refusedCheckpoint (name: string) (write: string -> unit) (mentions: string list) =
    use dir = new TempDir()
    let file = dir.File name
    write file
    refusedIn dir.Path (export dir.Path file) [ 1 ] (name :: mentions) |> ignore

let tests =
    testList "checkpoints" [
        test "the generator's plain state dict loads (so each refusal below is the planted fault's)" {
            use dir = new TempDir()
            torchZip (dir.File "ok.pt") (stateDict [])
            let sd = PyTorchFormat.ReadStateDict(dir.File "ok.pt")
            Expect.sequenceEqual sd.Keys [ "w" ] "one tensor"
            Expect.sequenceEqual (sd.["w"].data<float32>().ToArray()) [ 1.5f; -2.25f; 3.125f; 4.0625f ] "its values"
            for t in sd.Values do t.Dispose()
        }
        test "B1: a tuple↔list cycle ends at once: no state dict, named" {
            refusedCheckpoint "cycle.pt" (fun f -> torchZip f cycle) [ "holds no state dict" ]
        }
        test "B2: lists shared 40 levels deep are converted once, not 2⁴⁰ times" {
            refusedCheckpoint "shared.pt" (fun f -> torchZip f shared) [ "holds no state dict" ]
        }
        test "B3: an INST opcode is refused (no laxer fallback reader takes the file)" {
            refusedCheckpoint "inst.pt" (fun f -> torchZip f (stateDict (str "x" @ inst "collections" "OrderedDict" @ setitem))) [ "opcode 0x69" ]
        }
        test "B3: a flipped storage byte fails its CRC-32" {
            refusedCheckpoint "flipped.pt" (fun f -> torchZip f (stateDict []); flipStorageByte f) [ "CRC" ]
        }
        test "B3: both at once (the issue's file) is refused" {
            refusedCheckpoint "both.pt" (fun f -> torchZip f (stateDict (str "x" @ inst "collections" "OrderedDict" @ setitem)); flipStorageByte f) [ "not a PyTorch checkpoint" ]
        }
        for m, n in [ "os", "system"; "builtins", "exec"; "subprocess", "Popen"; "posix", "system" ] do
            test (sprintf "globals: a pickle naming %s.%s is refused by name, as weights_only refuses it" m n) {
                refusedCheckpoint "evil.pt" (fun f -> torchZip f (stateDict (call "cmd" m n "echo pwned"))) [ sprintf "%s.%s" m n; "weights_only" ]
            }
        test "globals: the numpy scalars of official checkpoints stay allowed" {
            // resnet8.numpy.pth holds numpy.core.multiarray.scalar, numpy.dtype and _codecs.encode beside the weights.
            let sd = PyTorchFormat.ReadStateDict(repoFile "tests/fixtures/parity/resnet8.numpy.pth")
            Expect.isGreaterThan sd.Count 10 "the weights load"
            for t in sd.Values do t.Dispose()
        }
    ]
