/// A sweep: experiment files × seeds expanded into named runs, and the command line of each run
/// (fresh or resumed). Pure: the shell finds the files, decides each run's state and starts it.
module LogitStd.Core.Sweep

open System.IO

/// One run of a sweep: an experiment file and a seed, under a stable name.
type SweepRun =
    { Name: string
      Config: string
      Seed: int }

/// The label of each config: its file stem; configs that share a stem (kd/x.yaml, kd_ls/x.yaml) are
/// told apart by their folder, `kd.x` and `kd_ls.x`. The same config list always gives the same labels.
/// The configs are full paths (the shell resolves them): the core reads no current folder.
let labels (configs: string list) : Result<(string * string) list, string> =
    let stem (c: string) = Path.GetFileNameWithoutExtension c
    let counts = configs |> List.countBy stem |> Map.ofList
    let label (c: string) =
        if counts.[stem c] = 1 then stem c
        else
            let folder = Path.GetFileName(Path.GetDirectoryName c)
            folder + "." + stem c
    let labelled = configs |> List.map (fun c -> c, label c)
    match labelled |> List.groupBy snd |> List.tryFind (fun (_, g) -> g.Length > 1) with
    | Some(name, group) ->
        Error(sprintf "configs %s would share the run name %s (same file name in same-named folders); rename one" (group |> List.map fst |> String.concat " and ") name)
    | None -> Ok labelled

/// The run name of a config label and a seed: `<label>-s<seed>`.
let runName (label: string) (seed: int) = sprintf "%s-s%d" label seed

/// Every (config, seed) pair, config-major, seeds `firstSeed .. firstSeed + seeds − 1`.
let expand (configs: string list) (firstSeed: int) (seeds: int) : Result<SweepRun list, string> =
    if List.isEmpty configs then Error "no experiment files to sweep"
    elif List.length (List.distinct configs) <> List.length configs then
        Error(sprintf "config %s is given twice" (configs |> List.countBy id |> List.find (fun (_, n) -> n > 1) |> fst))
    else
        labels configs
        |> Result.map (fun labelled ->
            [ for config, label in labelled do
                  for seed in firstSeed .. firstSeed + seeds - 1 do
                      { Name = runName label seed; Config = config; Seed = seed } ])

/// The training flags that may be given again with --resume (`--threads N`, `--device D`,
/// `--teacher-cache DIR`: a run that distilled from the cache resumes from it, so that it stays
/// bit-identical); every other flag is part of the run's experiment.yaml, which --resume follows.
let resumableFlags (flags: string list) : string list =
    let rec go acc rest =
        match rest with
        | ("--threads" | "--device" | "--teacher-cache" as f) :: v :: tail -> go (v :: f :: acc) tail
        | _ :: tail -> go acc tail
        | [] -> List.rev acc
    go [] flags

/// `train|distill --config C --seed S --out DIR FLAGS`: a run started from nothing.
let freshArgs (command: string) (run: SweepRun) (dir: string) (flags: string list) =
    [ command; "--config"; run.Config; "--seed"; string run.Seed; "--out"; dir ] @ flags

/// `train|distill --resume DIR [--threads N] [--device D] [--teacher-cache C]`: a run continued after its last finished epoch.
let resumeArgs (command: string) (dir: string) (flags: string list) =
    [ command; "--resume"; dir ] @ resumableFlags flags
