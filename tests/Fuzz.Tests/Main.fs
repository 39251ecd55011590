module LogitStd.Fuzz.Main

open Expecto

[<EntryPoint>]
let main argv =
    let sw = System.Diagnostics.Stopwatch.StartNew()
    let code =
        LogitStd.Tests.TestMain.run argv (testSequenced <| testList "fuzz" [ CheckpointsFuzz.tests; DataFuzz.tests; TextFuzz.tests; EndToEnd.tests ])
    let total = Harness.counts.Values |> Seq.sum
    printfn "fuzz: %d cases in %d formats, %.0f s" total Harness.counts.Count sw.Elapsed.TotalSeconds
    code
