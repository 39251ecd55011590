module LogitStd.Shell.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let fast = [ ReferenceTests.tests; CliTests.tests; ExitCodesTests.tests; ConfigsTests.tests; PlatformTests.tests; ResultsTests.tests; ArchitectureTests.tests; StepDiagnosticsTests.tests; SamplesTests.tests; DocsTests.tests ]
    // Trainings of tiny runs end to end, sweeps of child processes, teacher-cache fills of the zoo's models.
    let slow = [ TrainingTests.tests; SweepTests.tests; SweepResolveTests.tests; TeacherCacheTests.tests ]
    LogitStd.Tests.TestMain.runSplit argv (testList "Shell") fast slow
