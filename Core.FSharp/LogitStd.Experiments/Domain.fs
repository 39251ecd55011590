/// The words of the domain, compiled first: every other module of the core — the experiment, the
/// command line, the sweeps — and the shell speak of datasets, splits and methods in these types.
/// The `CustomCommandLine` names are how the command line and the experiment files spell them.
module LogitStd.Core.Domain

open Argu

/// The datasets the program reads.
type DatasetKind =
    | [<CustomCommandLine("fashion-mnist")>] Fashion_Mnist
    | [<CustomCommandLine("cifar100")>] Cifar100
    | [<CustomCommandLine("imagefolder")>] Imagefolder

/// Which split of a dataset.
type Split =
    | Train
    | Test

/// A distillation method (`distill --method`): the library's one type (LogitStd.Core.Methods), whose
/// objective is the method's preset by the one LS rule (`Methods.objective`).
type Method = LogitStd.Core.Methods.Method

/// The name of a dataset as the command line and experiment files write it.
let datasetName (d: DatasetKind) =
    match d with
    | Fashion_Mnist -> "fashion-mnist"
    | Cifar100 -> "cifar100"
    | Imagefolder -> "imagefolder"

/// Whether a dataset is Fashion-MNIST (for C#, without reaching into the union).
let isFashionMnist (d: DatasetKind) = d = Fashion_Mnist
