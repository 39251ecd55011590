module LogitStd.Integrity.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let all = testList "Integrity" [ KillResumeTests.tests; EarlyKillTests.tests; DiskFaultTests.tests; TeacherCacheTests.tests ]
    LogitStd.Tests.TestMain.run argv all
