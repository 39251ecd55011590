namespace LogitStd.Tests

// Every test project that references this one sees repoRoot, repoFile, TempDir … without an `open`.
[<assembly: AutoOpen("LogitStd.Tests.TestPaths")>]
do ()
