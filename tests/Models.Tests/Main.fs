module LogitStd.Models.Tests.Main

open Expecto

let tests =
    testSequenced
    <| testList
        "Models"
        [ KernelsTests.tests
          ModelZooTests.tests
          CheckpointsTests.tests
          ParityTests.tests
          EvalTests.tests
          BatchNormFoldingTests.tests
          FlopsTests.tests ]

[<EntryPoint>]
let main argv =
    // Two intra-op threads: the machine has two cores and the tests run one at a time (testSequenced).
    TorchSharp.torch.set_num_threads 2
    LogitStd.Tests.TestMain.run argv tests
