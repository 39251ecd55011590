module LogitStd.Data.Tests.Main

open Expecto

let tests =
    testList "Data" [
        Cifar100Tests.tests
        IdxFileTests.tests
        ImageFolderTests.tests
        TransformsTests.tests
        PreprocessingTests.tests
        DataLoaderTests.tests
        FashionMnistTests.tests
        DatasetCommandTests.tests
    ]

[<EntryPoint>]
let main argv = LogitStd.Tests.TestMain.run argv tests
