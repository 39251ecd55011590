module LogitStd.Hardening.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let all =
        testList "Hardening" [ CheckpointsTests.tests; FoldersTests.tests; SlurmTests.tests; FilesTests.tests ]
    LogitStd.Tests.TestMain.run argv all
