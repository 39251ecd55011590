namespace LogitStd.Core

open System.Collections.Generic
open System.Runtime.InteropServices

/// A dataset as C# switches on it (an enum, not the F# union).
type DatasetId =
    | FashionMnist = 0
    | Cifar100 = 1
    | ImageFolder = 2

/// Experiments for C# callers: reading, writing and completing them, and what the shell asks of them.
[<AbstractClass; Sealed>]
type Experiments =
    static member private Unpack(r: Result<Experiment.Experiment, string list>, experiment: byref<Experiment.Experiment>, problems: byref<IReadOnlyList<string>>) =
        match r with
        | Ok e ->
            experiment <- e
            problems <- []
            true
        | Error ps ->
            experiment <- Unchecked.defaultof<_>
            problems <- ps
            false

    /// The defaults an experiment file completes.
    static member Default = Experiment.defaultExperiment
    /// A complete experiment (a run folder's experiment.yaml), validated; false with the problems.
    static member TryParse(text: string, [<Out>] experiment: byref<Experiment.Experiment>, [<Out>] problems: byref<IReadOnlyList<string>>) =
        Experiments.Unpack(ExperimentYaml.parse text, &experiment, &problems)
    /// An experiment file that flags complete (`--config`): syntax, keys and value types only.
    static member TryRead(text: string, [<Out>] experiment: byref<Experiment.Experiment>, [<Out>] problems: byref<IReadOnlyList<string>>) =
        Experiments.Unpack(ExperimentYaml.read text, &experiment, &problems)
    /// The flags of a `train`/`distill` command line over an experiment, then one validation.
    static member TryResolve(options: TrainCli.TrainOptions, fromFile: Experiment.Experiment, [<Out>] experiment: byref<Experiment.Experiment>, [<Out>] problems: byref<IReadOnlyList<string>>) =
        Experiments.Unpack(ExperimentFlags.resolveWith options fromFile, &experiment, &problems)
    /// The experiment as YAML (what a run folder's experiment.yaml holds).
    static member ToYaml(experiment: Experiment.Experiment) = ExperimentYaml.toYaml experiment
    /// The dataset's name as files write it, e.g. `fashion-mnist`.
    static member DatasetName(dataset: Domain.DatasetKind) = Domain.datasetName dataset
    static member Dataset(dataset: Domain.DatasetKind) =
        match dataset with
        | Domain.Fashion_Mnist -> DatasetId.FashionMnist
        | Domain.Cifar100 -> DatasetId.Cifar100
        | Domain.Imagefolder -> DatasetId.ImageFolder
    /// `none`, a method's name (`kd` … `rld`) or `custom`, and whether the distillation is standardized.
    static member MethodOf(objective: Objective.Objective) = Experiment.methodOf objective
    /// Every value `MethodOf` can return, in the order tables and figures list them.
    static member MethodNames : IReadOnlyList<string> = Methods.kindNames |> ResizeArray :> IReadOnlyList<string>
    static member Standardizes(objective: Objective.Objective) = Experiment.standardizes objective
    /// The learning rate of a 1-based epoch under the experiment's multi-step schedule.
    static member LearningRate(solver: Experiment.Solver, epoch: int) =
        Schedules.multiStepLr solver.Lr solver.LrMilestones solver.LrDecayRate epoch
    /// A paired difference with its 95 % t interval, from (x, y) pairs (difference y − x).
    static member PairedDifference(pairs: seq<float * float>) = Stats.pairedDifference (List.ofSeq pairs)
