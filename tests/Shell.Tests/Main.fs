module LogitStd.Shell.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let all = testList "Shell" [ ReferenceTests.tests; CliTests.tests ]
    LogitStd.Tests.TestMain.run argv all
