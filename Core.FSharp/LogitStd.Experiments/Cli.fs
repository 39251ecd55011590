/// The `logitstd` command line, parsed with Argu. Pure: parsing returns a typed command or an
/// error text; the shell prints and exits. `--help` is available on every command.
module LogitStd.Core.Cli

open Argu
open LogitStd.Core.Domain
open LogitStd.Core.DeployCli
open LogitStd.Core.CliSweep
open LogitStd.Core.TrainCli
open LogitStd.Core.PlotCli

type CheckReferenceArgs =
    | [<MainCommand; Mandatory>] Files of file: string list
    | Write_Actual of path: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Files _ -> "reference-vector files (format logitstd-reference/1) to recompute and compare."
            | Write_Actual _ -> "write the same cases with LogitStd's own values in place of `expected` to this JSON file."

type DatasetCheckArgs =
    | [<Mandatory>] Dataset of DatasetKind
    | Data_Dir of dir: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Dataset _ -> "which dataset to validate."
            | Data_Dir _ -> "the folder holding the dataset (default: ./data, then the system copy for Fashion-MNIST)."

type DatasetArgs =
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<DatasetCheckArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Check _ -> "validate a dataset and print its splits, counts and per-class histogram."

type ModelsArgs =
    | Classes of k: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Classes _ -> "number of classes for the parameter counts (default 100)."

type EvalArgs =
    | [<Mandatory>] Model of name: string
    | [<Mandatory>] Weights of file: string
    | [<Mandatory>] Dataset of DatasetKind
    | Data_Dir of dir: string
    | Split of Split
    | Batch_Size of n: int
    | Save_Logits of file: string
    | Save_Features of file: string
    | Threads of n: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Model _ -> "model architecture (see `logitstd models`)."
            | Weights _ -> "a LogitStd or PyTorch checkpoint."
            | Dataset _ -> "the dataset to evaluate on."
            | Data_Dir _ -> "the dataset folder."
            | Split _ -> "test (default) or train."
            | Batch_Size _ -> "batch size (default 256)."
            | Save_Logits _ -> "write one CSV row of K logits per image, in dataset order."
            | Save_Features _ -> "write one CSV row of the D pooled penultimate features per image, in dataset order (t-SNE input)."
            | Threads _ -> "torch threads (default: the number of cores)."

type ResultsArgs =
    | [<MainCommand; Mandatory>] Run_Dirs of dirs: string list
    | Markdown of file: string
    | Json of file: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Run_Dirs _ -> "run folders (or folders holding run folders) to summarise."
            | Markdown _ -> "also write the tables as markdown to this file."
            | Json _ -> "also write the per-arm statistics and the comparisons as JSON to this file (docs/figures.md)."

type BenchArgs =
    | Quick
    | Threads of n: int
    | Steps of n: int
    | Only of configs: string list
    | Markdown of file: string
    | Peak
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Peak -> "also measure the FP32 peak (a 2048² float32 matrix product on the same threads) and report each step's share of it."
            | Quick -> "a short run (the whole benchmark under two minutes)."
            | Threads _ -> "torch threads (default: the number of cores)."
            | Steps _ -> "timed training steps per configuration."
            | Only _ -> "run only these configurations (names as printed)."
            | Markdown _ -> "also write the table as markdown to this file."

[<RequireSubcommand>]
type Command =
    | [<CliPrefix(CliPrefix.None)>] Check_Reference of ParseResults<CheckReferenceArgs>
    | [<CliPrefix(CliPrefix.None)>] Dataset of ParseResults<DatasetArgs>
    | [<CliPrefix(CliPrefix.None)>] Models of ParseResults<ModelsArgs>
    | [<CliPrefix(CliPrefix.None)>] Eval of ParseResults<EvalArgs>
    | [<CliPrefix(CliPrefix.None)>] Plot of ParseResults<PlotArgs>
    | [<CliPrefix(CliPrefix.None)>] Results of ParseResults<ResultsArgs>
    | [<CliPrefix(CliPrefix.None)>] Bench of ParseResults<BenchArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<TrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Distill of ParseResults<TrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Export of ParseResults<ExportArgs>
    | [<CliPrefix(CliPrefix.None)>] Predict of ParseResults<PredictArgs>
    | [<CliPrefix(CliPrefix.None)>] Info of ParseResults<InfoArgs>
    | [<CliPrefix(CliPrefix.None)>] Sweep of ParseResults<SweepArgs>
    | [<CliPrefix(CliPrefix.None)>] Sweep_Task of ParseResults<SweepTaskArgs>
    | [<CliPrefix(CliPrefix.None)>] Teacher_Cache of ParseResults<TeacherCacheCli.TeacherCacheArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Check_Reference _ -> "recompute reference vectors (loss values and gradients) and report mismatches."
            | Dataset _ -> "dataset tools."
            | Models _ -> "list every model with its parameter count."
            | Eval _ -> "evaluate a checkpoint: top-1, top-5, loss and logit statistics."
            | Plot _ -> "draw a paper-style figure from saved run folders (never retrains)."
            | Results _ -> "tables of results over run folders: mean ± std over seeds, and the paired LS − no-LS and arm − student-alone differences with 95% intervals (also as JSON with --json)."
            | Bench _ -> "benchmark whole training steps (images per second, CPU time ÷ wall time, resident memory)."
            | Train _ -> "train a model from scratch with cross-entropy (teachers, the student-alone baseline)."
            | Distill _ -> "distil a student from a teacher with --method kd|dkd|mlkd|ctkd|dist|nkd|wttm|rld [--logit-stand], or an experiment file's objective."
            | Export _ -> "export a checkpoint for deployment: ONNX (verified with ONNX Runtime) or a bare PyTorch state dict."
            | Teacher_Cache _ -> "the persistent cache of a frozen teacher's logits for every training image and view (build)."
            | Predict _ -> "classify images with an exported ONNX model or a checkpoint: the top-k classes and probabilities."
            | Info _ -> "the environment: TorchSharp and libtorch versions, where each native library was loaded from, CUDA devices, threads, runtime, OS."
            | Sweep _ -> "run configs × seeds, one run folder each, locally or as a Slurm job array: sweep --configs ... --out DIR [-- training flags]."
            | Sweep_Task _ -> "run one run of a sweep's plan: skip it when finished, resume it when it has a checkpoint, else start it."

/// Options of `logitstd eval`.
type EvalOptions =
    { Model: string
      Weights: string
      Dataset: DatasetKind
      DataDir: string option
      Split: Split
      BatchSize: int
      SaveLogits: string option
      /// `--save-features`: the CSV of pooled penultimate features, one row per image.
      SaveFeatures: string option
      Threads: int option }

/// Options of `logitstd bench`.
type BenchOptions =
    { Quick: bool
      Threads: int option
      Steps: int option
      Only: string list
      Markdown: string option
      /// Measure the FP32 matrix-product peak and report each configuration's share of it.
      Peak: bool }

/// A parsed command line.
type Parsed =
    | CheckReference of files: string list * writeActual: string option
    | DatasetCheck of dataset: DatasetKind * dataDir: string option
    | ListModels of classes: int
    | Evaluate of EvalOptions
    | Draw of PlotOptions
    | Fit of TrainOptions
    | Summarize of runs: string list * markdown: string option * json: string option
    | Benchmark of BenchOptions
    | Deploy of ExportOptions
    | Classify of PredictOptions
    | ShowInfo of out: string option
    | RunSweep of CliSweep.SweepOptions
    | RunSweepTask of plan: string * index: int
    | CacheTeacher of TeacherCacheCli.BuildOptions

/// The outcome of parsing: a command, a help text (exit 0), or an error with usage (exit 2).
type ParseOutcome =
    | Run of Parsed
    | Help of text: string
    | Error of text: string

let private parser = lazy (ArgumentParser.Create<Command>(programName = "logitstd"))

exception private InvalidValue of string

let private positive (what: string) (v: int) =
    if v <= 0 then raise (InvalidValue(sprintf "%s must be positive, got %d" what v)) else v

/// A batch bounded as an experiment's is (`Experiment.maxBatchSize`), so its tensor sizes fit their types.
let private batchSize (v: int) =
    if v <= 0 || v > Experiment.maxBatchSize then
        raise (InvalidValue(sprintf "--batch-size must be in 1 .. %d, got %d" Experiment.maxBatchSize v))
    else v

let private threads (v: int) =
    match CliThreads.problem "--threads" v with
    | Some m -> raise (InvalidValue m)
    | None -> v

let private device (text: string) =
    match DeviceChoice.parse text with
    | Ok d -> d
    | Result.Error msg -> raise (InvalidValue msg)

let private trainFlagParser = lazy (ArgumentParser.Create<TrainArgs>(programName = "logitstd sweep ... --"))

let private sweepOptions (a: ParseResults<SweepArgs>) (trainFlags: string list) : CliSweep.SweepOptions =
    // The training flags must parse as `train`/`distill` flags, so a typo fails now, not in every run.
    let t =
        try trainFlagParser.Value.ParseCommandLine(List.toArray trainFlags, raiseOnUsage = true)
        with :? ArguParseException as e -> raise (InvalidValue(sprintf "training flags after `--`: %s" (e.Message.Split('\n').[0])))
    let flags = TrainCli.options true t |> Result.defaultWith (fun m -> raise (InvalidValue(sprintf "training flags after `--`: %s" m)))
    match CliSweep.options a trainFlags flags.Threads flags.Device with
    | Ok o -> o
    | Result.Error msg -> raise (InvalidValue msg)

let private toParsed (r: ParseResults<Command>) (trainFlags: string list) : Parsed =
    match r.GetSubCommand() with
    | Check_Reference a -> CheckReference(a.GetResult CheckReferenceArgs.Files, a.TryGetResult Write_Actual)
    | Dataset d ->
        match d.GetSubCommand() with
        | Check c -> DatasetCheck(c.GetResult DatasetCheckArgs.Dataset, c.TryGetResult DatasetCheckArgs.Data_Dir)
    | Models m -> ListModels(m.TryGetResult Classes |> Option.map (positive "--classes") |> Option.defaultValue 100)
    | Eval e ->
        Evaluate
            { Model = e.GetResult EvalArgs.Model
              Weights = e.GetResult EvalArgs.Weights
              Dataset = e.GetResult EvalArgs.Dataset
              DataDir = e.TryGetResult EvalArgs.Data_Dir
              Split = e.TryGetResult EvalArgs.Split |> Option.defaultValue Test
              BatchSize = e.TryGetResult EvalArgs.Batch_Size |> Option.map batchSize |> Option.defaultValue 256
              SaveLogits = e.TryGetResult Save_Logits
              SaveFeatures = e.TryGetResult Save_Features
              Threads = e.TryGetResult EvalArgs.Threads |> Option.map threads }
    | Results r -> Summarize(r.GetResult Run_Dirs, r.TryGetResult ResultsArgs.Markdown, r.TryGetResult ResultsArgs.Json)
    | Bench b ->
        Benchmark
            { Quick = b.Contains Quick
              Threads = b.TryGetResult BenchArgs.Threads |> Option.map threads
              Steps = b.TryGetResult Steps |> Option.map (positive "--steps")
              Only = b.GetResults Only |> List.concat
              Markdown = b.TryGetResult BenchArgs.Markdown
              Peak = b.Contains Peak }
    | Export x -> Deploy(DeployCli.exportOptions x |> Result.defaultWith (fun m -> raise (InvalidValue m)))
    | Predict p -> Classify(DeployCli.predictOptions p |> Result.defaultWith (fun m -> raise (InvalidValue m)))
    | Info i -> ShowInfo(i.TryGetResult InfoArgs.Out)
    | Sweep a -> RunSweep(sweepOptions a trainFlags)
    | Sweep_Task a -> RunSweepTask(a.GetResult Plan, a.GetResult Index |> fun i -> if i < 0 then raise (InvalidValue(sprintf "--index must be >= 0, got %d" i)) else i)
    | Command.Teacher_Cache c -> CacheTeacher(TeacherCacheCli.buildOptions c |> Result.defaultWith (fun m -> raise (InvalidValue m)))
    | Train t -> Fit(TrainCli.options false t |> Result.defaultWith (fun m -> raise (InvalidValue m)))
    | Distill t -> Fit(TrainCli.options true t |> Result.defaultWith (fun m -> raise (InvalidValue m)))
    | Plot p -> Draw(PlotCli.options p)

/// Parses the program's arguments.
let parse (argv: string[]) : ParseOutcome =
    try
        // `sweep ... -- FLAGS`: what follows the first `--` are training flags for every run.
        let split = if argv.Length > 0 && argv.[0] = "sweep" then Array.tryFindIndex ((=) "--") argv else None
        let own, trainFlags =
            match split with
            | Some i -> argv.[.. i - 1], List.ofArray argv.[i + 1 ..]
            | None -> argv, []
        let r = parser.Value.ParseCommandLine(own, raiseOnUsage = true)
        Run(toParsed r trainFlags)
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText -> Help e.Message
    | :? ArguParseException as e -> Error e.Message
    | InvalidValue msg -> Error(sprintf "ERROR: %s\nUse --help for usage." msg)
