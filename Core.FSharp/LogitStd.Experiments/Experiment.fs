/// The typed experiment description: dataset, models, solver, objective, seed, with its defaults
/// and the checks of a whole experiment. Read from and written to YAML by `ExperimentYaml`; completed
/// by the command line's flags in `ExperimentFlags`; printed and saved beside the results.
module LogitStd.Core.Experiment

open System
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
      Objective: Objective
      /// Diagnostics: log each term's gradient norm at the student's logits per epoch (metrics.csv
      /// `grad_<term>`). Costs one extra backward through the loss (not the network) per term.
      LogTermGradients: bool
      /// Train the student on channels-last activations (NHWC memory layout, same shapes): faster on
      /// the CPU (oneDNN's convolutions without layout reorders, channels-last pooling); the same
      /// float32 numerics to rounding, not bit for bit (docs/benchmarks.md). Off by default (the
      /// official code's layout); inference forwards are channels-last always.
      ChannelsLast: bool }

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
      Objective = Presets.crossEntropy
      LogTermGradients = false
      ChannelsLast = false }

/// The distillation method an objective amounts to, as summaries and tables write it: `none`, a
/// method's name (`Methods.name`) or `custom` (LogitStd.Core.Methods).
let methodOf (o: Objective) : string = Methods.kindOf o |> Methods.kindName

/// Whether any term standardizes the logits.
let standardizes (o: Objective) : bool =
    o.Terms |> List.exists (fun w -> termPrep w.Term = Some ZScore)

// ------------------------------------------------------------------ validation

/// Every problem of an experiment, each prefixed by its key path; empty when valid.
/// The largest batch: 65,536 CIFAR images are 200 MB; batch × image bytes stays far inside an int.
let maxBatchSize = 65_536

/// More epochs than any schedule in the literature (240) by far.
let maxEpochs = 100_000

/// A learning rate whose float32 form, times any schedule factor, is finite.
let maxLr = 1e30

let problems (e: Experiment) : string list =
    [ if String.IsNullOrWhiteSpace e.Name then "experiment.name: must not be empty"
      if e.Seed < 0 then sprintf "experiment.seed: must be >= 0, got %d" e.Seed
      match e.Dataset.TrainSubset with
      | Some n when n <= 0 -> sprintf "dataset.train_subset: must be positive, got %d" n
      | _ -> ()
      if String.IsNullOrWhiteSpace e.Models.Student then "models.student: must name a model"
      let s = e.Solver
      // The upper bounds keep every count the trainer derives (steps, batch × image bytes, the lr as a
      // float32 tensor scalar) inside its type: a value beyond them is a typo or an attack, not a setting.
      if s.Epochs <= 0 || s.Epochs > maxEpochs then sprintf "solver.epochs: must be in 1 .. %d, got %d" maxEpochs s.Epochs
      if s.BatchSize <= 0 || s.BatchSize > maxBatchSize then sprintf "solver.batch_size: must be in 1 .. %d, got %d" maxBatchSize s.BatchSize
      if not (s.Lr > 0.0 && s.Lr <= maxLr) then sprintf "solver.lr: must be a positive number up to %g, got %g" maxLr s.Lr
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

/// The name of a dataset as experiment files write it.
let datasetName (d: DatasetKind) = Domain.datasetName d
