/// Temporary folders and the repository's own files, for the shell tests.
module LogitStd.Shell.Tests.TestFiles

open System
open System.IO

/// The repository root: the first ancestor of the test binary holding LogitStd.sln.
let repoRoot =
    let rec up (d: DirectoryInfo) =
        if isNull d then failwith "LogitStd.sln not found above the test binary"
        elif File.Exists(Path.Combine(d.FullName, "LogitStd.sln")) then d.FullName
        else up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

let repoFile (relative: string) = Path.Combine(repoRoot, relative)

/// A fresh temporary folder, deleted on dispose.
type TempDir() =
    let path = Directory.CreateTempSubdirectory("logitstd-test-").FullName
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    interface IDisposable with
        member _.Dispose() = try Directory.Delete(path, true) with _ -> ()

/// Runs a command of the program in-process, capturing stdout and stderr.
let runCommand (f: TextWriter -> TextWriter -> int) : int * string * string =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = f out err
    code, out.ToString(), err.ToString()
