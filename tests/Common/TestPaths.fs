/// The repository's folders and temporary folders, shared by the test projects.
module LogitStd.Tests.TestPaths

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

/// The build configuration of the running test binary (its bin/<Configuration>/ folder).
let configuration =
    if AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/") then "Debug" else "Release"

/// The `logitstd` program as users run it: the shell project's own build output.
let logitstdDll = repoFile (sprintf "Shell.CSharp/bin/%s/net10.0/linux-x64/logitstd.dll" configuration)

/// A fresh temporary folder, deleted on dispose.
type TempDir() =
    let path = Directory.CreateTempSubdirectory("logitstd-test-").FullName
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    /// Same as File: a path inside the folder.
    member _.Sub(name: string) = Path.Combine(path, name)
    interface IDisposable with
        member _.Dispose() = try Directory.Delete(path, true) with _ -> ()
