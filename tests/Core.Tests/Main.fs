module LogitStd.Core.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let all = testList "Core" [ StandardizeTests.tests; LossesTests.tests; LossesKdTests.tests; LossesDkdTests.tests; LossesMlkdTests.tests; LossesCtkdTests.tests; LossesNewerTests.tests; ObjectiveTests.tests; ObjectiveTests.statsTests; ExperimentTests.tests; SweepTests.tests; CliPlotTests.tests; FacadeTests.tests; PublicApiTests.tests ]
    LogitStd.Tests.TestMain.run argv all
