/// `logitstd info` and the platform helpers behind it: the loaded libraries, libtorch's version
/// beside them, the --device check, the message for a libtorch that does not load.
module LogitStd.Shell.Tests.PlatformTests

open System
open System.IO
open Expecto
open LogitStd.Core
open LogitStd.Shell.Cli
open LogitStd.Shell.Platform
open LogitStd.Shell.Tests.TestFiles

let tests =
    testSequenced <| testList "platform" [
        testCase "info names the libtorch file it loaded, the threads, CUDA, the runtime and the OS" <| fun () ->
            let report = InfoCommand.Report()
            for key in [ "libtorch build mode"; "TorchSharp"; "torch.cuda.is_available()"; "torch.get_num_threads()"; "OMP_NUM_THREADS"; ".NET"; "distribution" ] do
                Expect.stringContains report key key
            let line = report.Split('\n') |> Array.tryFind (fun l -> l.TrimStart().StartsWith "libtorch_cpu.so")
            match line with
            | Some l ->
                let path = l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries) |> Array.last
                Expect.isTrue (File.Exists path) (sprintf "the reported libtorch_cpu.so exists: %s" path)
            | None -> failtestf "no libtorch_cpu.so line in\n%s" report
            Expect.stringContains report (sprintf "torch.get_num_threads()          %d" (TorchSharp.torch.get_num_threads())) "threads"

        testCase "info --out writes the report; an unwritable --out exits 1 naming it" <| fun () ->
            use dir = new TempDir()
            let file = dir.File "sub/info.txt"
            let code, out, err = runCommand (fun o e -> InfoCommand.Run(file, o, e))
            Expect.equal code 0 err
            Expect.equal (File.ReadAllText file) out "same text"
            File.WriteAllText(dir.File "afile", "")
            let code2, _, err2 = runCommand (fun o e -> InfoCommand.Run(dir.File "afile/x.txt", o, e))
            Expect.equal code2 1 "exit 1"
            Expect.stringContains err2 (sprintf "cannot write %s" (dir.File "afile/x.txt")) "names the file it could not write"

        testCase "the maps reader keeps each shared library once, in order" <| fun () ->
            use dir = new TempDir()
            let maps = dir.File "maps"
            File.WriteAllLines(maps,
                [ "7f0-7f1 r--p 00000000 08:01 11 /opt/t/lib/libtorch_cpu.so"
                  "7f1-7f2 r-xp 00001000 08:01 11 /opt/t/lib/libtorch_cpu.so"
                  "7f2-7f3 rw-p 00000000 00:00 0 "
                  "7f3-7f4 r--p 00000000 08:01 12 /usr/lib/libstdc++.so.6.0.30"
                  "7f4-7f5 r--p 00000000 08:01 13 /data/a file.bin"
                  "7f5-7f6 r--p 00000000 08:01 14 /app/lib dir/libLibTorchSharp.so"
                  "7f6-7f7 r--p 00000000 00:00 0 [heap]" ])
            let loaded = NativeLibraries.Loaded maps
            Expect.equal (List.ofSeq loaded) [ "/opt/t/lib/libtorch_cpu.so"; "/usr/lib/libstdc++.so.6.0.30"; "/app/lib dir/libLibTorchSharp.so" ] "libraries"
            Expect.equal (NativeLibraries.Relevant(loaded).Count) 3 "all relevant"

        testCase "libtorch's version beside the library: a PyTorch version.py or a libtorch build-version" <| fun () ->
            use dir = new TempDir()
            let torch = dir.File "torch"
            Directory.CreateDirectory(Path.Combine(torch, "lib")) |> ignore
            let lib = Path.Combine(torch, "lib", "libtorch_cpu.so")
            Expect.isNull (NativeLibraries.VersionBeside lib) "nothing recorded"
            File.WriteAllText(Path.Combine(torch, "version.py"), "from typing import Optional\n__version__ = '2.11.0+cu130'\ncuda = '13.0'\n")
            Expect.equal (NativeLibraries.VersionBeside lib) "2.11.0+cu130" "version.py"
            File.WriteAllText(Path.Combine(torch, "build-version"), "2.10.0+cpu\n")
            Expect.equal (NativeLibraries.VersionBeside lib) "2.10.0+cpu" "build-version first"

        testCase "--device cuda:N without CUDA is an error naming the flag; cpu is the CPU" <| fun () ->
            let struct (cpu, noError) = Devices.Resolve DeviceChoice.Cpu
            Expect.equal cpu.``type`` TorchSharp.DeviceType.CPU "cpu"
            Expect.isNull noError "no error"
            let struct (device, error) = Devices.Resolve(DeviceChoice.Cuda 0)
            if TorchSharp.torch.cuda.is_available() then
                Expect.equal device.``type`` TorchSharp.DeviceType.CUDA "a CUDA device"
                let struct (_, tooHigh) = Devices.Resolve(DeviceChoice.Cuda 99)
                Expect.stringContains tooHigh "--device cuda:99" "names the device"
            else
                Expect.isNull device "no device"
                Expect.stringContains error "--device cuda:0" "names the flag"
                Expect.stringContains error "-p:LibTorch" "says how to get one"

        testCase "train --device cuda on a machine without CUDA exits 1 before touching the run folder" <| fun () ->
            if TorchSharp.torch.cuda.is_available() then skiptest "this machine has CUDA"
            use dir = new TempDir()
            let o = { TrainingTests.baseOptions (dir.File "data") (dir.File "run") false with Device = DeviceChoice.Cuda 0 }
            let code, _, err = TrainingTests.run o
            Expect.equal code 1 err
            Expect.stringContains err "--device cuda:0" "names the flag"
            Expect.isFalse (Directory.Exists(dir.File "run")) "no run folder"

        testCase "a libtorch that does not load is a user error with what to do; other errors are not" <| fun () ->
            let msg = NativeLoadFailure.Describe(TypeInitializationException("TorchSharp.torch", DllNotFoundException "libLibTorchSharp.so: cannot open"))
            Expect.stringContains msg "libtorch could not be loaded" "recognised"
            Expect.stringContains msg "ldd -r" "how to find the missing piece"
            Expect.isNull (NativeLoadFailure.Describe(InvalidOperationException "a defect")) "a defect stays a defect"
    ]
