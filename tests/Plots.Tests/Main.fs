module LogitStd.Plots.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let all = testList "Plots" [ LogitStatsTests.tests; RunFolderTests.tests; FiguresTests.tests; StudyFiguresTests.tests; TsneTests.tests; TsneFigureTests.tests ]
    LogitStd.Tests.TestMain.run argv all
