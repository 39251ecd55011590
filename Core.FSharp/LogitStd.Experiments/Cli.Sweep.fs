/// The grammar of `logitstd info`, `logitstd sweep` and `logitstd sweep-task`, and the
/// validation of a sweep's options; `Cli` composes them into the program's command line.
module LogitStd.Core.CliSweep

open Argu

/// How `logitstd sweep` runs its runs.
type Scheduler =
    /// Child processes of this program on this machine, at most --max-parallel at once.
    | Local
    /// A Slurm job array (sbatch), one array task per run.
    | Slurm

type InfoArgs =
    | Out of file: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Out _ -> "also write the report to this file."

type SweepArgs =
    | [<Mandatory>] Configs of paths: string list
    | Seeds of n: int
    | First_Seed of n: int
    | [<Mandatory>] Out of dir: string
    | Scheduler of Scheduler
    | Max_Parallel of n: int
    | Wait
    | Partition of name: string
    | Gres of spec: string
    | Time_Limit of limit: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Configs _ -> "experiment files, or folders searched for *.yaml; each runs once per seed."
            | Seeds _ -> "seeds per config (default 1): seeds first-seed .. first-seed + N − 1."
            | First_Seed _ -> "the first seed (default 0)."
            | Out _ -> "the sweep folder: one run folder per (config, seed), named <config-stem>-s<seed>."
            | Scheduler _ -> "local (default): child processes here; slurm: a job array submitted with sbatch."
            | Max_Parallel _ -> "runs at once (local default 1; slurm: the array's %P limit, default unlimited)."
            | Wait -> "slurm: block until every array task has ended (a requeued task has not) and check every run finished; local always waits."
            | Partition _ -> "slurm: the partition (sbatch --partition)."
            | Gres _ -> "slurm: generic resources per task (sbatch --gres; default gpu:1 with --device cuda)."
            | Time_Limit _ -> "slurm: the time limit per task (sbatch --time)."

type SweepTaskArgs =
    | [<Mandatory>] Plan of file: string
    | [<Mandatory>] Index of i: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Plan _ -> "the sweep's plan.json (written by `logitstd sweep`)."
            | Index _ -> "the run's index in the plan, from 0 (a Slurm array task passes $SLURM_ARRAY_TASK_ID)."

/// Options of `logitstd sweep`.
type SweepOptions =
    { Configs: string list
      Seeds: int
      FirstSeed: int
      Out: string
      Scheduler: Scheduler
      MaxParallel: int option
      Wait: bool
      Partition: string option
      Gres: string option
      TimeLimit: string option
      /// The training flags after `--`, as given; passed to every run.
      TrainFlags: string list
      /// The same flags, parsed (as `distill` flags: which command each run is is decided per config,
      /// once the config and these flags are merged).
      Flags: TrainCli.TrainOptions
      /// --threads of the training flags, if given.
      Threads: int option
      /// --device of the training flags.
      Device: DeviceChoice.Device }

/// The flags a sweep sets for each run itself.
let private owned = [ "--config"; "--seed"; "--out"; "--resume" ]

/// Seeds per config: a study uses a handful; each is a run folder and a process.
let maxSeeds = 10_000

/// Validates `sweep`'s own flags; `flags` are the training flags after `--`, parsed by `Cli`.
let options (a: ParseResults<SweepArgs>) (trainFlags: string list) (flags: TrainCli.TrainOptions) : Result<SweepOptions, string> =
    let scheduler = a.TryGetResult SweepArgs.Scheduler |> Option.defaultValue Local
    let slurmOnly =
        [ "--wait", a.Contains Wait; "--partition", a.Contains Partition; "--gres", a.Contains Gres; "--time-limit", a.Contains Time_Limit ]
        |> List.filter snd |> List.map fst
    let ownedGiven = trainFlags |> List.map (fun f -> f.Split('=').[0]) |> List.filter (fun f -> List.contains f owned)
    let seeds = a.TryGetResult Seeds |> Option.defaultValue 1
    let first = a.TryGetResult First_Seed |> Option.defaultValue 0
    let maxParallel = a.TryGetResult Max_Parallel
    let configs = a.GetResults Configs |> List.concat
    match ownedGiven, slurmOnly with
    | _ when List.isEmpty configs -> Error "--configs: give at least one experiment file or folder of them"
    | f :: _, _ -> Error(sprintf "%s after `--`: the sweep sets --config, --seed, --out and --resume of each run itself" f)
    | [], f :: _ when scheduler = Local -> Error(sprintf "%s belongs to --scheduler slurm" f)
    | _ when seeds <= 0 -> Error(sprintf "--seeds must be positive, got %d" seeds)
    | _ when seeds > maxSeeds -> Error(sprintf "--seeds %d is more than the %d seeds a sweep runs per config" seeds maxSeeds)
    | _ when first < 0 -> Error(sprintf "--first-seed must be >= 0, got %d" first)
    // The last seed, first + seeds − 1, must be an int too.
    | _ when first > System.Int32.MaxValue - seeds + 1 -> Error(sprintf "--first-seed %d + --seeds %d passes the largest seed, %d" first seeds System.Int32.MaxValue)
    | _ when maxParallel |> Option.exists (fun p -> p <= 0 || p > CliThreads.MaxThreads) ->
        Error(sprintf "--max-parallel must be in 1 .. %d, got %d" CliThreads.MaxThreads maxParallel.Value)
    | _ ->
        Ok
            { Configs = configs
              Seeds = seeds
              FirstSeed = first
              Out = a.GetResult SweepArgs.Out
              Scheduler = scheduler
              MaxParallel = maxParallel
              Wait = a.Contains Wait
              Partition = a.TryGetResult Partition
              Gres = a.TryGetResult Gres
              TimeLimit = a.TryGetResult Time_Limit
              TrainFlags = trainFlags
              Flags = flags
              Threads = flags.Threads
              Device = flags.Device }
