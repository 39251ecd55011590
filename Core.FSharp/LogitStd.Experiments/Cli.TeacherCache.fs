/// The command-line grammar of `logitstd teacher-cache build` (Argu): fill the persistent cache of a
/// frozen teacher's logits for every (image, view) of a training split. Pure, like `Cli`, which
/// dispatches to it.
module LogitStd.Core.TeacherCacheCli

open Argu
open LogitStd.Core.Domain

type BuildArgs =
    | [<Mandatory>] Teacher of file: string
    | Teacher_Model of name: string
    | [<Mandatory>] Dataset of DatasetKind
    | Data_Dir of dir: string
    | Augment
    | Train_Subset of n: int
    | Seed of n: int
    | Cache_Dir of dir: string
    | Threads of n: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Teacher _ -> "the teacher's checkpoint (LogitStd or PyTorch format)."
            | Teacher_Model _ -> "the teacher's architecture (read from a LogitStd checkpoint when omitted)."
            | Dataset _ -> "fashion-mnist or cifar100 (CIFAR: crop with 4-pixel padding + flip, 162 views of each image); an image folder's random resized crop has no finite set of views, so no cache."
            | Data_Dir _ -> "the dataset folder."
            | Augment -> "fashion-mnist: the crop (2-pixel padding) + flip augmentation (50 views; an experiment's dataset.augment)."
            | Train_Subset _ -> "the seeded training subset of this many images that runs with --train-subset use."
            | Seed _ -> "with --train-subset: the experiment seed that draws the subset (default 0)."
            | Cache_Dir _ -> "the cache folder (default ./cache/teacher; `distill --teacher-cache DIR` reads it)."
            | Threads _ -> "torch threads (default: the number of cores)."

type TeacherCacheArgs =
    | [<CliPrefix(CliPrefix.None)>] Build of ParseResults<BuildArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Build _ -> "compute the teacher's logits for every training image and view into the cache (resumable)."

/// Options of `logitstd teacher-cache build`.
type BuildOptions =
    { Teacher: string
      TeacherModel: string option
      Dataset: DatasetKind
      DataDir: string option
      Augment: bool
      TrainSubset: int option
      Seed: int
      CacheDir: string
      Threads: int option }

/// The options of `logitstd teacher-cache build`, or the reason they make no sense.
let buildOptions (p: ParseResults<TeacherCacheArgs>) : Result<BuildOptions, string> =
    match p.GetSubCommand() with
    | Build b ->
        let positive flag (v: int option) =
            match v with
            | Some n when n <= 0 -> Error(sprintf "%s must be positive, got %d" flag n)
            | _ -> Ok v
        let threads =
            match b.TryGetResult Threads |> Option.bind (CliThreads.problem "--threads") with
            | Some m -> Error m
            | None -> Ok(b.TryGetResult Threads)
        match positive "--train-subset" (b.TryGetResult Train_Subset), threads with
        | Error m, _
        | _, Error m -> Error m
        | Ok subset, Ok threads ->
            if b.GetResult Dataset = Imagefolder then
                Error "--dataset imagefolder: an image folder's random resized crop has no finite set of views to cache (fashion-mnist and cifar100 have)"
            elif b.Contains Augment && b.GetResult Dataset <> Fashion_Mnist then
                Error(sprintf "--augment is for fashion-mnist; %s training always augments (crop and flip)" (datasetName (b.GetResult Dataset)))
            elif b.Contains Seed && subset.IsNone then
                Error "--seed chooses the --train-subset; without a subset it has no effect"
            elif b.TryGetResult Seed |> Option.exists (fun s -> s < 0) then
                Error "--seed must be >= 0"
            else
                Ok
                    { Teacher = b.GetResult Teacher
                      TeacherModel = b.TryGetResult Teacher_Model
                      Dataset = b.GetResult Dataset
                      DataDir = b.TryGetResult Data_Dir
                      Augment = b.Contains Augment
                      TrainSubset = subset
                      Seed = b.TryGetResult Seed |> Option.defaultValue 0
                      CacheDir = b.TryGetResult Cache_Dir |> Option.defaultValue (System.IO.Path.Combine("cache", "teacher"))
                      Threads = threads }
