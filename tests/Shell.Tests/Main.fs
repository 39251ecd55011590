module LogitStd.Shell.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let all = testList "Shell" [ ReferenceTests.tests; CliTests.tests; ConfigsTests.tests; TrainingTests.tests; PlatformTests.tests; SweepTests.tests; ResultsTests.tests; ArchitectureTests.tests; TeacherCacheTests.tests; StepDiagnosticsTests.tests; SamplesTests.tests; DocsTests.tests ]
    LogitStd.Tests.TestMain.run argv all
