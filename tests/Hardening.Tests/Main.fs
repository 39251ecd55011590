module LogitStd.Hardening.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    // One child process at a time: each case's time (≤ 10 s) and memory are its own, not a neighbour's.
    let all =
        testSequenced <| testList "Hardening" [ CheckpointsTests.tests; FoldersTests.tests; SlurmTests.tests; FilesTests.tests ]
    LogitStd.Tests.TestMain.run argv all
