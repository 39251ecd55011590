/// Experiment files: YAML text to a typed `Experiment` and back (pure: the shell reads and writes
/// the file). Every error carries the key path (`solver.lr_milestones: …`); nesting is bounded.
module LogitStd.Core.ExperimentYaml

open System
open System.Globalization
open System.IO
open System.Text
open YamlDotNet.RepresentationModel
open LogitStd.Core.Standardize
open LogitStd.Core.Domain
open LogitStd.Core.Objective
open LogitStd.Core.Experiment

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

let private lossKinds = [ "cross_entropy"; "cross_entropy_two_views"; "kd"; "dkd"; "mlkd_instance"; "mlkd_class"; "mlkd_batch"; "ctkd"; "dist"; "nkd"; "wttm"; "rld" ]

let private parseTerm (i: int) (n: YamlNode) : WeightedTerm =
    let path = sprintf "objective[%d]" i
    let m = entries path [ "name"; "weight"; "loss"; "temperature"; "standardize"; "alpha"; "beta"; "gamma"; "warmup"; "t_start"; "t_end"; "alpha_temperature" ] n
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
        | "mlkd_class" -> allowed [ "temperature"; "standardize" ]; MlkdClass(req "temperature" asFloat, prep ())
        | "mlkd_batch" -> allowed [ "temperature"; "standardize" ]; MlkdBatch(req "temperature" asFloat, prep ())
        | "ctkd" -> allowed [ "t_start"; "t_end"; "standardize" ]; Ctkd(opt "t_start" asFloat 1.0, opt "t_end" asFloat 20.0, prep ())
        | "dist" ->
            allowed [ "beta"; "gamma"; "temperature"; "standardize" ]
            Dist(req "beta" asFloat, req "gamma" asFloat, req "temperature" asFloat, prep ())
        | "nkd" -> allowed [ "temperature"; "gamma"; "standardize" ]; Nkd(req "temperature" asFloat, req "gamma" asFloat, prep ())
        | "wttm" -> allowed [ "gamma"; "standardize" ]; Wttm(req "gamma" asFloat, prep ())
        | "rld" ->
            allowed [ "alpha"; "beta"; "temperature"; "alpha_temperature"; "warmup"; "standardize" ]
            Rld(req "alpha" asFloat, req "beta" asFloat, req "temperature" asFloat, req "alpha_temperature" asFloat, opt "warmup" asInt 0, prep ())
        | other -> fail (sprintf "%s.loss: unknown loss '%s' (accepted: %s)" path other (String.Join(", ", lossKinds)))
    { Name = req "name" asString; Weight = req "weight" asFloat; Term = term }

/// Reads an experiment from YAML text on top of `defaults`: the syntax, the keys and the types of
/// the values, without the checks of the whole experiment (`problems`), so that command-line flags
/// can complete it first (a file naming a teacher whose weights `--teacher` gives). Errors carry the
/// key path.
let readWith (defaults: Experiment) (text: string) : Result<Experiment, string list> =
    try
        let stream = YamlStream()
        match YamlLimits.problem text with
        | Some (line, column, what) -> fail (sprintf "line %d, column %d: %s" line column what)
        | None -> stream.Load(new StringReader(text))
        if stream.Documents.Count = 0 then Ok defaults
        else
            let root = entries "(top level)" [ "experiment"; "dataset"; "models"; "solver"; "objective" ] stream.Documents.[0].RootNode
            let exp = root.TryFind "experiment" |> Option.map (entries "experiment" [ "name"; "seed"; "log_term_gradients"; "channels_last" ])
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
                    | None -> defaults.Objective
                  LogTermGradients =
                    exp |> Option.bind (Map.tryFind "log_term_gradients") |> Option.map (asBool "experiment.log_term_gradients")
                    |> Option.defaultValue defaults.LogTermGradients
                  ChannelsLast =
                    exp |> Option.bind (Map.tryFind "channels_last") |> Option.map (asBool "experiment.channels_last")
                    |> Option.defaultValue defaults.ChannelsLast }
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
    | MlkdClass (t, p) -> head "mlkd_class" + sprintf "    temperature: %s\n" (num t) + std p
    | MlkdBatch (t, p) -> head "mlkd_batch" + sprintf "    temperature: %s\n" (num t) + std p
    | Ctkd (a, b, p) -> head "ctkd" + sprintf "    t_start: %s\n    t_end: %s\n" (num a) (num b) + std p
    | Dist (b, g, t, p) -> head "dist" + sprintf "    beta: %s\n    gamma: %s\n    temperature: %s\n" (num b) (num g) (num t) + std p
    | Nkd (t, g, p) -> head "nkd" + sprintf "    temperature: %s\n    gamma: %s\n" (num t) (num g) + std p
    | Wttm (g, p) -> head "wttm" + sprintf "    gamma: %s\n" (num g) + std p
    | Rld (a, b, t, at, warm, p) ->
        head "rld" + sprintf "    alpha: %s\n    beta: %s\n    temperature: %s\n    alpha_temperature: %s\n    warmup: %d\n" (num a) (num b) (num t) (num at) warm + std p

/// The experiment as YAML text that `parse` reads back to the same experiment.
let toYaml (e: Experiment) : string =
    let sb = StringBuilder()
    let line (s: string) = sb.Append(s).Append('\n') |> ignore
    line (sprintf "# objective: %s" (describe e.Objective))
    line "experiment:"
    line (sprintf "  name: %s" (optText (Some e.Name)))
    line (sprintf "  seed: %d" e.Seed)
    if e.LogTermGradients then line "  log_term_gradients: true"
    if e.ChannelsLast then line "  channels_last: true"
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
