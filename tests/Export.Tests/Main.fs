module LogitStd.Export.Tests.Main

open Expecto

let tests =
    testSequenced
    <| testList "Export" [ CliTests.tests; OnnxParityTests.tests; ExportCommandTests.tests; PredictTests.tests ]

[<EntryPoint>]
let main argv =
    // Two intra-op threads: the machine has two cores and the tests run one at a time (testSequenced).
    TorchSharp.torch.set_num_threads 2
    LogitStd.Tests.TestMain.run argv tests
