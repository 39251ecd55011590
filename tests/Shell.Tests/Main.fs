module LogitStd.Shell.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let all = testList "Shell" [ ReferenceTests.tests; CliTests.tests; ExitCodesTests.tests; ConfigsTests.tests; TrainingTests.tests; PlatformTests.tests; SweepTests.tests; SweepResolveTests.tests; ResultsTests.tests; ArchitectureTests.tests; TeacherCacheTests.tests; StepDiagnosticsTests.tests; SamplesTests.tests ]
    LogitStd.Tests.TestMain.run argv all
