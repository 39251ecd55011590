/// The typed experiment description: dataset, models, solver, objective, seed. Loaded from a small
/// declarative YAML text (pure: the shell reads the file), validated with key paths in every
/// message, printed and saved beside the results. Flags override the file explicitly (`withFlags`).
module LogitStd.Core.Experiment

open System
open System.Globalization
open System.IO
open System.Text
open YamlDotNet.RepresentationModel
open LogitStd.Core.Standardize
open LogitStd.Core.Domain
open LogitStd.Core.Objective

type DatasetSpec =
    { Name: DatasetKind
      /// null: ./data, then the system copy (Fashion-MNIST).
      DataDir: string option
      /// Train on the first N images of a seeded permutation of the training set (None: all).
      TrainSubset: int option
      /// Random crop and flip on the training set (always on for CIFAR and ImageNet).
      Augment: bool }

type ModelsSpec =
    { Student: string
      Teacher: string option
      /// A LogitStd or PyTorch checkpoint of the teacher.
      TeacherWeights: string option }

/// SGD with momentum and weight decay, multi-step LR by epoch (mdistiller's solver).
type Solver =
    { Epochs: int
      BatchSize: int
      Lr: float
      Momentum: float
      WeightDecay: float
      Nesterov: bool
      LrMilestones: int list
      LrDecayRate: float }

type Experiment =
    { Name: string
      Seed: int
      Dataset: DatasetSpec
      Models: ModelsSpec
      Solver: Solver
      Objective: Objective }

/// The CIFAR-100 solver of PAPER.md §4.
let cifarSolver =
    { Epochs = 240; BatchSize = 64; Lr = 0.05; Momentum = 0.9; WeightDecay = 5e-4; Nesterov = false
      LrMilestones = [ 150; 180; 210 ]; LrDecayRate = 0.1 }

/// A default experiment: a Fashion-MNIST model trained with cross-entropy.
let defaultExperiment =
    { Name = "experiment"
      Seed = 0
      Dataset = { Name = Fashion_Mnist; DataDir = None; TrainSubset = None; Augment = false }
      Models = { Student = "fmnist_small_cnn"; Teacher = None; TeacherWeights = None }
      Solver = { cifarSolver with Epochs = 10; BatchSize = 64; Lr = 0.05; LrMilestones = [ 6; 8 ] }
      Objective = Presets.crossEntropy }

/// The distillation method an objective amounts to (for summaries and tables).
let methodOf (o: Objective) : string =
    let kinds =
        o.Terms
        |> List.choose (fun w ->
            match w.Term with
            | CrossEntropy | CrossEntropyTwoViews -> None
            | Kd _ -> Some "kd"
            | Dkd _ -> Some "dkd"
            | MlkdInstance _ | MlkdClass _ | MlkdBatch _ -> Some "mlkd"
            | Ctkd _ -> Some "ctkd")
        |> List.distinct
    match kinds with
    | [] -> "none"
    | [ k ] -> k
    | _ -> "custom"

/// Whether any term standardizes the logits.
let standardizes (o: Objective) : bool =
    o.Terms |> List.exists (fun w ->
        match w.Term with
        | Kd (_, ZScore) | Dkd (_, _, _, _, ZScore) | MlkdInstance (_, ZScore) | Ctkd (_, _, ZScore) -> true
        | _ -> false)

// ------------------------------------------------------------------ validation

/// Every problem of an experiment, each prefixed by its key path; empty when valid.
let problems (e: Experiment) : string list =
    [ if String.IsNullOrWhiteSpace e.Name then "experiment.name: must not be empty"
      if e.Seed < 0 then sprintf "experiment.seed: must be >= 0, got %d" e.Seed
      match e.Dataset.TrainSubset with
      | Some n when n <= 0 -> sprintf "dataset.train_subset: must be positive, got %d" n
      | _ -> ()
      if String.IsNullOrWhiteSpace e.Models.Student then "models.student: must name a model"
      let s = e.Solver
      if s.Epochs <= 0 then sprintf "solver.epochs: must be positive, got %d" s.Epochs
      if s.BatchSize <= 0 then sprintf "solver.batch_size: must be positive, got %d" s.BatchSize
      if not (s.Lr > 0.0 && Double.IsFinite s.Lr) then sprintf "solver.lr: must be a positive number, got %g" s.Lr
      if not (s.Momentum >= 0.0 && s.Momentum < 1.0) then sprintf "solver.momentum: must be in [0, 1), got %g" s.Momentum
      if not (s.WeightDecay >= 0.0 && Double.IsFinite s.WeightDecay) then sprintf "solver.weight_decay: must be >= 0, got %g" s.WeightDecay
      if not (s.LrDecayRate > 0.0 && s.LrDecayRate <= 1.0) then sprintf "solver.lr_decay_rate: must be in (0, 1], got %g" s.LrDecayRate
      if s.LrMilestones <> List.sort s.LrMilestones || s.LrMilestones |> List.exists (fun m -> m <= 0) then
          sprintf "solver.lr_milestones: must be positive and increasing, got %A" s.LrMilestones
      if s.Nesterov && s.Momentum = 0.0 then "solver.nesterov: needs momentum > 0"
      try validate e.Objective with :? ArgumentException as ex -> "objective: " + ex.Message
      if needsTeacher e.Objective && e.Models.Teacher.IsNone then
          sprintf "models.teacher: the objective %s distils from a teacher, but none is named" (describe e.Objective)
      if e.Models.Teacher.IsSome && e.Models.TeacherWeights.IsNone then
          "models.teacher_weights: a teacher needs its weights (a LogitStd or PyTorch checkpoint)" ]

// ------------------------------------------------------------------ YAML

exception ExperimentError of string list

let private fail msg = raise (ExperimentError [ msg ])

let private scalarText (path: string) (n: YamlNode) =
    match n with
    | :? YamlScalarNode as s -> s.Value
    | _ -> fail (sprintf "%s: expected a single value" path)

let private isNull' (n: YamlNode) =
    match n with
    | :? YamlScalarNode as s -> s.Value = null || s.Value = "" || s.Value = "~" || s.Value.ToLowerInvariant() = "null"
    | _ -> false

let private asFloat path n =
    let t = scalarText path n
    match Double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture) with
    | true, v when Double.IsFinite v -> v
    | _ -> fail (sprintf "%s: expected a number, got '%s'" path t)

let private asInt path n =
    let t = scalarText path n
    match Int32.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture) with
    | true, v -> v
    | _ -> fail (sprintf "%s: expected an integer, got '%s'" path t)

let private asBool path n =
    match (scalarText path n).ToLowerInvariant() with
    | "true" | "yes" | "on" -> true
    | "false" | "no" | "off" -> false
    | t -> fail (sprintf "%s: expected true or false, got '%s'" path t)

let private asString path n =
    let t = scalarText path n
    if String.IsNullOrWhiteSpace t then fail (sprintf "%s: must not be empty" path) else t

let private optString path n = if isNull' n then None else Some(asString path n)

/// A mapping's entries, rejecting keys outside `accepted` with the key path and the accepted keys.
let private entries (path: string) (accepted: string list) (n: YamlNode) : Map<string, YamlNode> =
    match n with
    | :? YamlMappingNode as m ->
        m.Children
        |> Seq.map (fun kv ->
            let key = scalarText path kv.Key
            if not (List.contains key accepted) then
                fail (sprintf "%s.%s: unknown key (accepted: %s)" path key (String.Join(", ", accepted)))
            key, kv.Value)
        |> Map.ofSeq
    | _ -> fail (sprintf "%s: expected a mapping of %s" path (String.Join(", ", accepted)))

let private datasetNames = [ Fashion_Mnist; Cifar100; Imagefolder ] |> List.map (fun d -> Domain.datasetName d, d)

let datasetName (d: DatasetKind) = Domain.datasetName d

let private parseDataset (n: YamlNode) (d: DatasetSpec) : DatasetSpec =
    let m = entries "dataset" [ "name"; "data_dir"; "train_subset"; "augment" ] n
    let name =
        match m.TryFind "name" with
        | Some v ->
            let t = asString "dataset.name" v
            match datasetNames |> List.tryFind (fun (k, _) -> k = t.ToLowerInvariant()) with
            | Some (_, kind) -> kind
            | None -> fail (sprintf "dataset.name: unknown dataset '%s' (accepted: %s)" t (String.Join(", ", datasetNames |> List.map fst)))
        | None -> d.Name
    { Name = name
      DataDir = m.TryFind "data_dir" |> Option.map (optString "dataset.data_dir") |> Option.defaultValue d.DataDir
      TrainSubset = m.TryFind "train_subset" |> Option.map (fun v -> if isNull' v then None else Some(asInt "dataset.train_subset" v)) |> Option.defaultValue d.TrainSubset
      Augment = m.TryFind "augment" |> Option.map (asBool "dataset.augment") |> Option.defaultValue d.Augment }

let private parseModels (n: YamlNode) (d: ModelsSpec) =
    let m = entries "models" [ "student"; "teacher"; "teacher_weights" ] n
    { Student = m.TryFind "student" |> Option.map (asString "models.student") |> Option.defaultValue d.Student
      Teacher = m.TryFind "teacher" |> Option.map (optString "models.teacher") |> Option.defaultValue d.Teacher
      TeacherWeights = m.TryFind "teacher_weights" |> Option.map (optString "models.teacher_weights") |> Option.defaultValue d.TeacherWeights }

let private parseSolver (n: YamlNode) (d: Solver) =
    let m = entries "solver" [ "type"; "epochs"; "batch_size"; "lr"; "momentum"; "weight_decay"; "nesterov"; "lr_milestones"; "lr_decay_rate" ] n
    match m.TryFind "type" with
    | Some v when (asString "solver.type" v).ToLowerInvariant() <> "sgd" ->
        fail (sprintf "solver.type: unknown optimizer '%s' (accepted: sgd)" (asString "solver.type" v))
    | _ -> ()
    let get key f dflt = m.TryFind key |> Option.map (f ("solver." + key)) |> Option.defaultValue dflt
    { Epochs = get "epochs" asInt d.Epochs
      BatchSize = get "batch_size" asInt d.BatchSize
      Lr = get "lr" asFloat d.Lr
      Momentum = get "momentum" asFloat d.Momentum
      WeightDecay = get "weight_decay" asFloat d.WeightDecay
      Nesterov = get "nesterov" asBool d.Nesterov
      LrMilestones =
        match m.TryFind "lr_milestones" with
        | Some (:? YamlSequenceNode as s) -> s.Children |> Seq.mapi (fun i v -> asInt (sprintf "solver.lr_milestones[%d]" i) v) |> List.ofSeq
        | Some v when isNull' v -> []
        | Some _ -> fail "solver.lr_milestones: expected a list of epochs, e.g. [150, 180, 210]"
        | None -> d.LrMilestones
      LrDecayRate = get "lr_decay_rate" asFloat d.LrDecayRate }

let private lossKinds = [ "cross_entropy"; "cross_entropy_two_views"; "kd"; "dkd"; "mlkd_instance"; "mlkd_class"; "mlkd_batch"; "ctkd" ]

let private parseTerm (i: int) (n: YamlNode) : WeightedTerm =
    let path = sprintf "objective[%d]" i
    let m = entries path [ "name"; "weight"; "loss"; "temperature"; "standardize"; "alpha"; "beta"; "warmup"; "t_start"; "t_end" ] n
    let req key f =
        match m.TryFind key with
        | Some v -> f (path + "." + key) v
        | None -> fail (sprintf "%s.%s: required" path key)
    let opt key f dflt = m.TryFind key |> Option.map (f (path + "." + key)) |> Option.defaultValue dflt
    let loss = req "loss" asString
    let prep () = if opt "standardize" asBool false then ZScore else Raw
    let allowed keys =
        for k in m |> Map.toSeq |> Seq.map fst do
            if not (List.contains k ([ "name"; "weight"; "loss" ] @ keys)) then
                fail (sprintf "%s.%s: not a parameter of loss '%s' (accepted: %s)" path k loss (String.Join(", ", keys)))
    let term =
        match loss with
        | "cross_entropy" -> allowed []; CrossEntropy
        | "cross_entropy_two_views" -> allowed []; CrossEntropyTwoViews
        | "kd" -> allowed [ "temperature"; "standardize" ]; Kd(req "temperature" asFloat, prep ())
        | "dkd" ->
            allowed [ "alpha"; "beta"; "temperature"; "warmup"; "standardize" ]
            Dkd(req "alpha" asFloat, req "beta" asFloat, req "temperature" asFloat, opt "warmup" asInt 0, prep ())
        | "mlkd_instance" -> allowed [ "temperature"; "standardize" ]; MlkdInstance(req "temperature" asFloat, prep ())
        | "mlkd_class" -> allowed [ "temperature" ]; MlkdClass(req "temperature" asFloat)
        | "mlkd_batch" -> allowed [ "temperature" ]; MlkdBatch(req "temperature" asFloat)
        | "ctkd" -> allowed [ "t_start"; "t_end"; "standardize" ]; Ctkd(opt "t_start" asFloat 1.0, opt "t_end" asFloat 20.0, prep ())
        | other -> fail (sprintf "%s.loss: unknown loss '%s' (accepted: %s)" path other (String.Join(", ", lossKinds)))
    { Name = req "name" asString; Weight = req "weight" asFloat; Term = term }

/// Reads an experiment from YAML text on top of `defaults`: the syntax, the keys and the types of
/// the values, without the checks of the whole experiment (`problems`), so that command-line flags
/// can complete it first (a file naming a teacher whose weights `--teacher` gives). Errors carry the
/// key path.
let readWith (defaults: Experiment) (text: string) : Result<Experiment, string list> =
    try
        let stream = YamlStream()
        match YamlLimits.tooDeep text with
        | Some (line, column) -> fail (sprintf "line %d, column %d: nested more than %d levels deep" line column YamlLimits.maxDepth)
        | None -> stream.Load(new StringReader(text))
        if stream.Documents.Count = 0 then Ok defaults
        else
            let root = entries "(top level)" [ "experiment"; "dataset"; "models"; "solver"; "objective" ] stream.Documents.[0].RootNode
            let exp = root.TryFind "experiment" |> Option.map (entries "experiment" [ "name"; "seed" ])
            let e =
                { Name = exp |> Option.bind (Map.tryFind "name") |> Option.map (asString "experiment.name") |> Option.defaultValue defaults.Name
                  Seed = exp |> Option.bind (Map.tryFind "seed") |> Option.map (asInt "experiment.seed") |> Option.defaultValue defaults.Seed
                  Dataset = root.TryFind "dataset" |> Option.map (fun n -> parseDataset n defaults.Dataset) |> Option.defaultValue defaults.Dataset
                  Models = root.TryFind "models" |> Option.map (fun n -> parseModels n defaults.Models) |> Option.defaultValue defaults.Models
                  Solver = root.TryFind "solver" |> Option.map (fun n -> parseSolver n defaults.Solver) |> Option.defaultValue defaults.Solver
                  Objective =
                    match root.TryFind "objective" with
                    | Some (:? YamlSequenceNode as s) -> { Terms = s.Children |> Seq.mapi parseTerm |> List.ofSeq }
                    | Some _ -> fail "objective: expected a list of terms (name, weight, loss, and the loss's parameters)"
                    | None -> defaults.Objective }
            Ok e
    with
    | ExperimentError msgs -> Error msgs
    | :? YamlDotNet.Core.YamlException as ex -> Error [ sprintf "YAML syntax error at line %d, column %d: %s" ex.Start.Line ex.Start.Column ex.Message ]
    // YamlDotNet reports some malformed input (an unclosed flow mapping at the end of the text) this way.
    | :? InvalidOperationException as ex -> Error [ sprintf "YAML syntax error: %s" ex.Message ]

/// Parses and validates an experiment from YAML text on top of `defaults`.
let parseWith (defaults: Experiment) (text: string) : Result<Experiment, string list> =
    readWith defaults text |> Result.bind (fun e -> match problems e with [] -> Ok e | ps -> Error ps)

/// Parses and validates a complete experiment (a run folder's experiment.yaml) on top of `defaultExperiment`.
let parse (text: string) = parseWith defaultExperiment text

/// Reads an experiment file that flags will complete; `resolveWith` validates the result.
let read (text: string) = readWith defaultExperiment text

// ------------------------------------------------------------------ writing

let private num (v: float) = v.ToString("R", CultureInfo.InvariantCulture)
let private optText (o: string option) = match o with Some s -> "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"" | None -> "null"

let private termYaml (w: WeightedTerm) =
    let head loss = sprintf "  - name: %s\n    weight: %s\n    loss: %s\n" w.Name (num w.Weight) loss
    let std p = sprintf "    standardize: %s\n" (if p = ZScore then "true" else "false")
    match w.Term with
    | CrossEntropy -> head "cross_entropy"
    | CrossEntropyTwoViews -> head "cross_entropy_two_views"
    | Kd (t, p) -> head "kd" + sprintf "    temperature: %s\n" (num t) + std p
    | Dkd (a, b, t, warm, p) -> head "dkd" + sprintf "    alpha: %s\n    beta: %s\n    temperature: %s\n    warmup: %d\n" (num a) (num b) (num t) warm + std p
    | MlkdInstance (t, p) -> head "mlkd_instance" + sprintf "    temperature: %s\n" (num t) + std p
    | MlkdClass t -> head "mlkd_class" + sprintf "    temperature: %s\n" (num t)
    | MlkdBatch t -> head "mlkd_batch" + sprintf "    temperature: %s\n" (num t)
    | Ctkd (a, b, p) -> head "ctkd" + sprintf "    t_start: %s\n    t_end: %s\n" (num a) (num b) + std p

/// The experiment as YAML text that `parse` reads back to the same experiment.
let toYaml (e: Experiment) : string =
    let sb = StringBuilder()
    let line (s: string) = sb.Append(s).Append('\n') |> ignore
    line (sprintf "# objective: %s" (describe e.Objective))
    line "experiment:"
    line (sprintf "  name: %s" (optText (Some e.Name)))
    line (sprintf "  seed: %d" e.Seed)
    line "dataset:"
    line (sprintf "  name: %s" (datasetName e.Dataset.Name))
    line (sprintf "  data_dir: %s" (optText e.Dataset.DataDir))
    line (sprintf "  train_subset: %s" (match e.Dataset.TrainSubset with Some n -> string n | None -> "null"))
    line (sprintf "  augment: %b" e.Dataset.Augment)
    line "models:"
    line (sprintf "  student: %s" (optText (Some e.Models.Student)))
    line (sprintf "  teacher: %s" (optText e.Models.Teacher))
    line (sprintf "  teacher_weights: %s" (optText e.Models.TeacherWeights))
    let s = e.Solver
    line "solver:"
    line "  type: sgd"
    line (sprintf "  epochs: %d" s.Epochs)
    line (sprintf "  batch_size: %d" s.BatchSize)
    line (sprintf "  lr: %s" (num s.Lr))
    line (sprintf "  momentum: %s" (num s.Momentum))
    line (sprintf "  weight_decay: %s" (num s.WeightDecay))
    line (sprintf "  nesterov: %b" s.Nesterov)
    line (sprintf "  lr_milestones: [%s]" (String.Join(", ", s.LrMilestones)))
    line (sprintf "  lr_decay_rate: %s" (num s.LrDecayRate))
    line "objective:"
    for w in e.Objective.Terms do sb.Append(termYaml w) |> ignore
    sb.ToString()

// ------------------------------------------------------------------ command-line flags

/// The objective of `distill --method` (PAPER.md §3): the vanilla preset without LS; with LS the
/// paper's settings at the given base temperature τ and KD weight (DKD: α = 1·w, β = 8·w).
let methodObjective (m: Method) (standardize: bool) (baseTemp: float) (kdWeight: float) : Objective =
    match m, standardize with
    | Method.Kd, false -> Presets.kd false
    | Method.Kd, true -> Presets.kdWith true baseTemp 0.1 kdWeight
    | Method.Dkd, false -> Presets.dkd false
    | Method.Dkd, true -> Presets.dkdWith true kdWeight (8.0 * kdWeight) baseTemp 1.0 20
    | Method.Mlkd, false -> Presets.mlkd false
    | Method.Mlkd, true -> Presets.mlkdWith true baseTemp 0.1 kdWeight
    | Method.Ctkd, false -> Presets.ctkd false
    | Method.Ctkd, true -> Presets.ctkdWith true 1.0 20.0 0.1 kdWeight

/// The experiment a `train` / `distill` command line describes: the experiment file (if any) on top
/// of the defaults, then each given flag replacing exactly its own value, then one validation of the
/// result. `--method` replaces the objective as a whole; nothing else is rewritten.
let rec resolve (o: Cli.TrainOptions) (configText: string option) : Result<Experiment, string list> =
    match configText with
    | Some text -> read text |> Result.bind (resolveWith o)
    | None -> resolveWith o defaultExperiment

/// The flags of `o` applied to an experiment already read (the file's problems are the file's, these the flags').
and resolveWith (o: Cli.TrainOptions) (e: Experiment) : Result<Experiment, string list> =
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
                Objective = objective }
        let commandProblems =
            [ if o.Distill && not (needsTeacher e'.Objective) then
                  "distill: no distillation objective: give --method kd|dkd|mlkd|ctkd or an experiment file whose objective distils from a teacher"
              if not o.Distill && needsTeacher e'.Objective then
                  sprintf "train: the objective %s distils from a teacher; use `logitstd distill`" (describe e'.Objective)
              if not o.Distill && (e'.Models.Teacher.IsSome || e'.Models.TeacherWeights.IsSome) then
                  "train: the experiment names a teacher; `train` trains with cross-entropy only (use `logitstd distill`)" ]
        match commandProblems @ problems e' with
        | [] -> Ok e'
        | ps -> Error ps
