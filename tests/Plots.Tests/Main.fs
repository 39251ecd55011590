module LogitStd.Plots.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    let fast = [ LogitStatsTests.tests; RunFolderTests.tests ]
    // Every figure rendered to PNG and SVG, and t-SNE runs.
    let slow = [ FiguresTests.tests; StudyFiguresTests.tests; TsneTests.tests; TsneFigureTests.tests ]
    LogitStd.Tests.TestMain.runSplit argv (testList "Plots") fast slow
