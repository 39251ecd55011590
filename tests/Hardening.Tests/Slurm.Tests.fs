/// B6: values that reach a generated Slurm script. A stub `sbatch` on PATH records the script and
/// runs it as Slurm would (one array task); a hostile config name, --out or --partition must never
/// make it run anything but `logitstd sweep-task`.
module LogitStd.Hardening.Tests.SlurmTests

open System.IO
open Expecto
open LogitStd.Tests.TestPaths
open LogitStd.Hardening.Tests.Child
open LogitStd.Hardening.Tests.Inputs

/// A stub `sbatch` in `bin`: copies the script to `record/script.sh`, runs it as array task 0 with
/// its output in `record/task.log`, and prints a job id, as `sbatch --parsable` does.
let private stubSbatch (bin: string) (record: string) =
    Directory.CreateDirectory bin |> ignore
    let stub = Path.Combine(bin, "sbatch")
    File.WriteAllText(stub, sprintf "#!/bin/bash\nscript=\"${@: -1}\"\ncp \"$script\" '%s/script.sh'\nSLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_JOB_ID=4242 bash \"$script\" > '%s/task.log' 2>&1\necho 4242\n" record record)
    File.SetUnixFileMode(stub, UnixFileMode.UserRead ||| UnixFileMode.UserWrite ||| UnixFileMode.UserExecute)

/// Runs `sweep ARGS --scheduler slurm` in `dir` with the stub first on PATH.
let private slurmSweep (dir: string) (args: string list) =
    let bin, record = Path.Combine(dir, "bin"), Path.Combine(dir, "record")
    stubSbatch bin record
    Directory.CreateDirectory record |> ignore
    let path = bin + ":" + System.Environment.GetEnvironmentVariable "PATH"
    let before = snapshot dir
    let o = runIn dir [ "PATH", path ] ([ "sweep" ] @ args @ [ "--scheduler"; "slurm" ])
    o, before

/// The file an injected command would create.
let private pwned (dir: string) = Path.Combine(dir, "PWNED")

let tests =
    testSequenced <| testList "slurm scripts" [
        test "B6: a config file name with a newline is refused before any script is written" {
            use dir = new TempDir()
            let config = dir.File "x\ntouch PWNED\n.yaml"
            File.WriteAllText(config, experimentYaml (dir.File "nodata"))
            let o, before = slurmSweep dir.Path [ "--configs"; config; "--seeds"; "1"; "--out"; dir.File "out" ]
            expectRefused o [ 2 ] [ "control character" ] dir.Path before
            Expect.isFalse (File.Exists(pwned dir.Path)) "nothing ran"
        }
        test "B6: --out and --partition with a newline are refused" {
            use dir = new TempDir()
            let config = dir.File "c.yaml"
            File.WriteAllText(config, experimentYaml (dir.File "nodata"))
            let o, before = slurmSweep dir.Path [ "--configs"; config; "--seeds"; "1"; "--out"; dir.File "o\ntouch PWNED" ]
            expectRefused o [ 2 ] [ "control character" ] dir.Path before
            let o2, before2 = slurmSweep dir.Path [ "--configs"; config; "--seeds"; "1"; "--out"; dir.File "out"; "--partition"; "p\ntouch PWNED" ]
            expectRefused o2 [ 2 ] [ "--partition" ] dir.Path before2
            Expect.isFalse (File.Exists(pwned dir.Path)) "nothing ran"
        }
        test "B6: a config named with quotes and $(…) is data: the script runs sweep-task and nothing else" {
            use dir = new TempDir()
            let config = dir.File "a'$(touch PWNED)'`touch PWNED`;touch PWNED.yaml"
            File.WriteAllText(config, experimentYaml (dir.File "nodata"))
            let out = dir.File "out"
            let bin, record = dir.File "bin", dir.File "record"
            stubSbatch bin record
            Directory.CreateDirectory record |> ignore
            let o = runIn dir.Path [ "PATH", bin + ":" + System.Environment.GetEnvironmentVariable "PATH" ] [ "sweep"; "--configs"; config; "--seeds"; "1"; "--out"; out; "--scheduler"; "slurm" ]
            Expect.equal o.Code 0 (o.Out + o.Err)
            Expect.isLessThanOrEqual o.Seconds limitSeconds "time"
            let script = File.ReadAllText(Path.Combine(record, "script.sh"))
            let task = File.ReadAllText(Path.Combine(record, "task.log"))
            // The task ran this program's sweep-task on run 0, which stopped at the missing data.
            Expect.stringContains task "sweep-task 0:" (script + task)
            Expect.stringContains task "nodata" "the run's own error"
            for d in [ dir.Path; out; Path.Combine(out, "sweep") ] do
                Expect.isFalse (File.Exists(pwned d)) (sprintf "no command of the name ran (in %s); script:\n%s" d script)
        }
    ]
