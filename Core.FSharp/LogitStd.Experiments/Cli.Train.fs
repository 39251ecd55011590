/// The command-line grammar of `logitstd train` and `logitstd distill` (Argu) and the rules of those
/// flags — pure, like `Cli`, which dispatches to it.
module LogitStd.Core.TrainCli

open Argu
open LogitStd.Core.Domain

/// The flags `train` and `distill` share (distill adds the teacher and method flags).
type TrainArgs =
    | Config of file: string
    | Dataset of DatasetKind
    | Data_Dir of dir: string
    | [<AltCommandLine("--student")>] Model of name: string
    | Teacher of file: string
    | Teacher_Model of name: string
    | Method of Method
    | Logit_Stand
    | Base_Temp of tau: float
    | Kd_Weight of weight: float
    | Epochs of n: int
    | Batch_Size of n: int
    | Lr of rate: float
    | Seed of n: int
    | Train_Subset of n: int
    | Name of name: string
    | Threads of n: int
    | Device of device: string
    | Out of dir: string
    | Resume of dir: string
    | Teacher_Cache of dir: string
    | Channels_Last
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Config _ -> "an experiment file (YAML, see configs/); flags override its values."
            | Dataset _ -> "the dataset (default fashion-mnist)."
            | Data_Dir _ -> "the dataset folder."
            | Model _ -> "the model to train (the student when distilling); see `logitstd models`."
            | Teacher _ -> "distill: the teacher's checkpoint (LogitStd or PyTorch format)."
            | Teacher_Model _ -> "distill: the teacher's architecture (read from a LogitStd checkpoint when omitted)."
            | Method _ -> "distill: the method (kd, dkd, mlkd, ctkd, dist, nkd, wttm, rld); its objective is the method's published preset, with --logit-stand the one LS rule (replaces an experiment file's objective)."
            | Logit_Stand -> "distill: standardize the logits (Z-score) in the distillation loss."
            | Base_Temp _ -> "distill, with --logit-stand: the base temperature τ (default 2)."
            | Kd_Weight _ -> "distill, with --logit-stand: the KD weight (default 9; DKD: α and β are multiplied by it)."
            | Epochs _ -> "number of epochs."
            | Batch_Size _ -> "batch size."
            | Lr _ -> "base learning rate."
            | Seed _ -> "random seed (model init, shuffling, augmentation)."
            | Train_Subset _ -> "train on this many training images (a seeded subset)."
            | Name _ -> "the experiment's name."
            | Threads _ -> "torch threads (default: the number of cores)."
            | Device _ -> "cpu (default), cuda, or cuda:N (the N-th CUDA device)."
            | Out _ -> "the run folder to create (must be empty or absent)."
            | Resume _ -> "continue the run in this folder after its last finished epoch."
            | Teacher_Cache _ -> "distill: read the teacher's logits from the persistent cache in this folder (./cache/teacher is the usual one), filling it first if needed."
            | Channels_Last -> "train the model on channels-last activations: faster on the CPU, the same numbers to float32 rounding (experiment.channels_last; docs/benchmarks.md)."

/// Options of `logitstd train` and `logitstd distill` (None: not given on the command line).
type TrainOptions =
    { Distill: bool
      Config: string option
      Dataset: DatasetKind option
      DataDir: string option
      Model: string option
      Teacher: string option
      TeacherModel: string option
      Method: Method option
      LogitStand: bool
      BaseTemp: float option
      KdWeight: float option
      Epochs: int option
      BatchSize: int option
      Lr: float option
      Seed: int option
      TrainSubset: int option
      Name: string option
      Threads: int option
      Device: DeviceChoice.Device
      Out: string option
      Resume: string option
      TeacherCache: string option
      ChannelsLast: bool }

exception private InvalidFlag of string

let private positive (what: string) (v: int) =
    if v <= 0 then raise (InvalidFlag(sprintf "%s must be positive, got %d" what v)) else v

let private device (text: string) =
    match DeviceChoice.parse text with
    | Ok d -> d
    | Result.Error msg -> raise (InvalidFlag msg)

let private build (distill: bool) (t: ParseResults<TrainArgs>) : TrainOptions =
    if not distill then
        for flag, present in [ "--teacher", t.Contains Teacher; "--teacher-model", t.Contains Teacher_Model; "--method", t.Contains Method
                               "--teacher-cache", t.Contains TrainArgs.Teacher_Cache; "--logit-stand", t.Contains Logit_Stand; "--base-temp", t.Contains Base_Temp; "--kd-weight", t.Contains Kd_Weight ] do
            if present then raise (InvalidFlag(sprintf "%s belongs to `logitstd distill`; `train` trains with cross-entropy only" flag))
    if (t.Contains Base_Temp || t.Contains Kd_Weight) && not (t.Contains Logit_Stand) then
        raise (InvalidFlag "--base-temp and --kd-weight set the standardized objective: add --logit-stand (without it the method's vanilla preset is used)")
    if (t.Contains Base_Temp || t.Contains Kd_Weight || t.Contains Logit_Stand) && not (t.Contains Method) then
        raise (InvalidFlag "--logit-stand, --base-temp and --kd-weight choose the preset objective of --method; name the method")
    let positiveF what (v: float) = if v > 0.0 && System.Double.IsFinite v then v else raise (InvalidFlag(sprintf "%s must be a positive number, got %g" what v))
    { Distill = distill
      Config = t.TryGetResult Config
      Dataset = t.TryGetResult TrainArgs.Dataset
      DataDir = t.TryGetResult TrainArgs.Data_Dir
      Model = t.TryGetResult Model
      Teacher = t.TryGetResult Teacher
      TeacherModel = t.TryGetResult Teacher_Model
      Method = t.TryGetResult Method
      LogitStand = t.Contains Logit_Stand
      BaseTemp = t.TryGetResult Base_Temp |> Option.map (positiveF "--base-temp")
      KdWeight = t.TryGetResult Kd_Weight |> Option.map (positiveF "--kd-weight")
      Epochs = t.TryGetResult Epochs |> Option.map (positive "--epochs")
      BatchSize = t.TryGetResult TrainArgs.Batch_Size |> Option.map (positive "--batch-size")
      Lr = t.TryGetResult Lr |> Option.map (positiveF "--lr")
      Seed = t.TryGetResult Seed |> Option.map (fun s -> if s < 0 then raise (InvalidFlag(sprintf "--seed must be >= 0, got %d" s)) else s)
      TrainSubset = t.TryGetResult Train_Subset |> Option.map (positive "--train-subset")
      Name = t.TryGetResult Name
      Threads = t.TryGetResult TrainArgs.Threads |> Option.map (fun n -> match CliThreads.problem "--threads" n with Some m -> raise (InvalidFlag m) | None -> n)
      Device = t.TryGetResult TrainArgs.Device |> Option.map device |> Option.defaultValue DeviceChoice.Cpu
      Out = t.TryGetResult TrainArgs.Out
      Resume = t.TryGetResult Resume
      TeacherCache = t.TryGetResult TrainArgs.Teacher_Cache
      ChannelsLast = t.Contains Channels_Last }

/// The options of a `train` (`distill = false`) or `distill` command line, or the first flag error.
let options (distill: bool) (t: ParseResults<TrainArgs>) : Result<TrainOptions, string> =
    try Ok(build distill t) with InvalidFlag msg -> Error msg

/// The flags that would change a run `--resume` continues: a resumed run is exactly the run its
/// experiment.yaml describes (only --threads, --device and --teacher-cache may be given).
let resumeConflicts (o: TrainOptions) : string list =
    [ "--config", o.Config.IsSome; "--dataset", o.Dataset.IsSome; "--data-dir", o.DataDir.IsSome; "--model", o.Model.IsSome
      "--teacher", o.Teacher.IsSome; "--teacher-model", o.TeacherModel.IsSome; "--method", o.Method.IsSome
      "--logit-stand", o.LogitStand; "--base-temp", o.BaseTemp.IsSome; "--kd-weight", o.KdWeight.IsSome; "--epochs", o.Epochs.IsSome
      "--batch-size", o.BatchSize.IsSome; "--lr", o.Lr.IsSome; "--seed", o.Seed.IsSome; "--train-subset", o.TrainSubset.IsSome
      "--name", o.Name.IsSome; "--channels-last", o.ChannelsLast ]
    |> List.filter snd |> List.map fst
