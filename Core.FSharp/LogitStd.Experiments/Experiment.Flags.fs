/// The command line's part of an experiment: `train` / `distill` flags over an experiment file (or
/// the defaults), each flag replacing exactly its own value, then one validation of the result.
module LogitStd.Core.ExperimentFlags

open LogitStd.Core
open LogitStd.Core.Domain
open LogitStd.Core.Objective
open LogitStd.Core.Experiment
open LogitStd.Core.ExperimentYaml

/// The objective of `distill --method` (PAPER.md §3, METHODS.md): the method's published preset
/// without LS; with LS its preset by the one rule at the given base temperature τ and KD weight w
/// (`Methods.objective`, the only place the presets are written).
let methodObjective (m: Method) (standardize: bool) (baseTemp: float) (kdWeight: float) : Objective =
    Methods.objective m (if standardize then Some { BaseTemperature = baseTemp; KdWeight = kdWeight } else None)

/// The experiment a `train` / `distill` command line describes: the experiment file (if any) on top
/// of the defaults, then each given flag replacing exactly its own value, then one validation of the
/// result. `--method` replaces the objective as a whole; nothing else is rewritten.
let rec resolve (o: TrainCli.TrainOptions) (configText: string option) : Result<Experiment, string list> =
    match configText with
    | Some text -> read text |> Result.bind (resolveWith o)
    | None -> resolveWith o defaultExperiment

/// The flags of `o` applied to an experiment already read (the file's problems are the file's, these the flags').
and resolveWith (o: TrainCli.TrainOptions) (e: Experiment) : Result<Experiment, string list> =
        let pick (flag: 'a option) (value: 'a) = defaultArg flag value
        let objective =
            match o.Method with
            | Some m -> methodObjective m o.LogitStand (defaultArg o.BaseTemp 2.0) (defaultArg o.KdWeight 9.0)
            | None -> e.Objective
        let e' =
            { e with
                Name = pick o.Name e.Name
                Seed = pick o.Seed e.Seed
                Dataset =
                    { e.Dataset with
                        Name = pick o.Dataset e.Dataset.Name
                        DataDir = (match o.DataDir with Some d -> Some d | None -> e.Dataset.DataDir)
                        TrainSubset = (match o.TrainSubset with Some n -> Some n | None -> e.Dataset.TrainSubset) }
                Models =
                    { Student = pick o.Model e.Models.Student
                      Teacher = (match o.TeacherModel with Some t -> Some t | None -> e.Models.Teacher)
                      TeacherWeights = (match o.Teacher with Some t -> Some t | None -> e.Models.TeacherWeights) }
                Solver =
                    { e.Solver with
                        Epochs = pick o.Epochs e.Solver.Epochs
                        BatchSize = pick o.BatchSize e.Solver.BatchSize
                        Lr = pick o.Lr e.Solver.Lr }
                Objective = objective
                ChannelsLast = e.ChannelsLast || o.ChannelsLast }
        let commandProblems =
            [ if o.Distill && not (needsTeacher e'.Objective) then
                  (sprintf "distill: no distillation objective: give --method %s or an experiment file whose objective distils from a teacher" (Methods.all |> List.map Methods.name |> String.concat "|"))
              if not o.Distill && needsTeacher e'.Objective then
                  sprintf "train: the objective %s distils from a teacher; use `logitstd distill`" (describe e'.Objective)
              if not o.Distill && (e'.Models.Teacher.IsSome || e'.Models.TeacherWeights.IsSome) then
                  "train: the experiment names a teacher; `train` trains with cross-entropy only (use `logitstd distill`)" ]
        match commandProblems @ problems e' with
        | [] -> Ok e'
        | ps -> Error ps
