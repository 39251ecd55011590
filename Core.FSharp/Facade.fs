namespace LogitStd.Core

open System.Collections.Generic
open System.Runtime.InteropServices
open TorchSharp
open LogitStd.Core.Standardize
open LogitStd.Core.Losses

/// The C# (and any .NET language) entry point to the loss core: static members with named,
/// documented parameters. Every method returns a fresh tensor; inputs are never modified or
/// disposed. Tensors may be float32 (training) or float64 (verification), on any device.
[<AbstractClass; Sealed>]
type Distillation =
    static member private Prep(standardize: bool) = if standardize then ZScore else Raw

    /// Z(x) = (x − mean) / (1e-7 + std_unbiased), per row of a [B, K] batch.
    static member ZScore(logits: torch.Tensor) : torch.Tensor = zscore logits

    /// KD loss T² · mean_b Σ_k p_t (log p_t − log p_s). With standardize = true, both logit
    /// batches are Z-scored first and `temperature` is the base temperature τ.
    static member Kd(student: torch.Tensor, teacher: torch.Tensor, temperature: float,
                     [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Kd.kd (Distillation.Prep standardize) temperature student teacher

    /// Per-sample KD loss, a [B] tensor.
    static member KdPerSample(student: torch.Tensor, teacher: torch.Tensor, temperature: float,
                              [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Kd.perSample (Distillation.Prep standardize) temperature student teacher

    /// DKD loss α · TCKD + β · NCKD (no warm-up factor).
    static member Dkd(student: torch.Tensor, teacher: torch.Tensor, target: torch.Tensor,
                      alpha: float, beta: float, temperature: float,
                      [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Dkd.dkd (Distillation.Prep standardize) alpha beta temperature student teacher target

    /// The full MLKD training loss (cross-entropy on both views included).
    static member MlkdObjective(studentWeak: torch.Tensor, studentStrong: torch.Tensor,
                                teacherWeak: torch.Tensor, teacherStrong: torch.Tensor,
                                target: torch.Tensor, temperature: float, ceWeight: float, kdWeight: float,
                                [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        let v : Mlkd.Views = { StudentWeak = studentWeak; StudentStrong = studentStrong; TeacherWeak = teacherWeak; TeacherStrong = teacherStrong }
        Mlkd.objective (Distillation.Prep standardize) temperature ceWeight kdWeight v target

    /// CTKD's temperature t_start + t_end · sigmoid(GRL(param, λ)).
    static member CtkdTemperature(temperatureParam: torch.Tensor, tStart: float, tEnd: float, lambda: float) : torch.Tensor =
        Ctkd.temperature tStart tEnd lambda temperatureParam

    /// KD at CTKD's learned temperature; the gradient reaches `temperatureParam` multiplied by λ.
    static member Ctkd(student: torch.Tensor, teacher: torch.Tensor, temperatureParam: torch.Tensor,
                       tStart: float, tEnd: float, lambda: float,
                       [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Ctkd.ctkd (Distillation.Prep standardize) tStart tEnd lambda temperatureParam student teacher

    /// ce_weight · CE(raw student, y) + kd_weight · kd.
    static member KdObjective(student: torch.Tensor, teacher: torch.Tensor, target: torch.Tensor,
                              temperature: float, ceWeight: float, kdWeight: float,
                              [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        let o = Objective.Presets.kdWith standardize temperature ceWeight kdWeight
        Distillation.Total(o, student, target, teacher = teacher)

    /// ce_weight · CE + min(epoch / warmup, 1) · dkd.
    static member DkdObjective(student: torch.Tensor, teacher: torch.Tensor, target: torch.Tensor,
                               alpha: float, beta: float, temperature: float, ceWeight: float,
                               epoch: int, warmup: int,
                               [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        let o = Objective.Presets.dkdWith standardize alpha beta temperature ceWeight warmup
        Distillation.Total(o, student, target, teacher = teacher, epoch = epoch)

    /// Evaluates an objective and returns each named, weighted term in order.
    static member Evaluate(objective: Objective.Objective, student: torch.Tensor, target: torch.Tensor,
                           [<Optional; DefaultParameterValue(null: torch.Tensor)>] teacher: torch.Tensor,
                           [<Optional; DefaultParameterValue(1)>] epoch: int,
                           [<Optional; DefaultParameterValue(null: torch.Tensor)>] studentStrong: torch.Tensor,
                           [<Optional; DefaultParameterValue(null: torch.Tensor)>] teacherStrong: torch.Tensor,
                           [<Optional; DefaultParameterValue(null: torch.Tensor)>] temperatureParam: torch.Tensor)
                           : IReadOnlyList<KeyValuePair<string, torch.Tensor>> =
        let inputs : Objective.Inputs =
            { Student = student
              Teacher = Option.ofObj teacher
              Target = target
              StudentStrong = Option.ofObj studentStrong
              TeacherStrong = Option.ofObj teacherStrong
              Epoch = epoch
              TemperatureParam = Option.ofObj temperatureParam }
        Objective.evaluate objective inputs |> List.map (fun (n, t) -> KeyValuePair(n, t)) |> ResizeArray :> _

    /// Evaluates an objective and returns the sum of its terms (intermediate terms are disposed).
    static member Total(objective: Objective.Objective, student: torch.Tensor, target: torch.Tensor,
                        [<Optional; DefaultParameterValue(null: torch.Tensor)>] teacher: torch.Tensor,
                        [<Optional; DefaultParameterValue(1)>] epoch: int,
                        [<Optional; DefaultParameterValue(null: torch.Tensor)>] studentStrong: torch.Tensor,
                        [<Optional; DefaultParameterValue(null: torch.Tensor)>] teacherStrong: torch.Tensor,
                        [<Optional; DefaultParameterValue(null: torch.Tensor)>] temperatureParam: torch.Tensor) : torch.Tensor =
        use scope = torch.NewDisposeScope()
        let terms = Distillation.Evaluate(objective, student, target, teacher, epoch, studentStrong, teacherStrong, temperatureParam)
        let total = terms |> Seq.map (fun kv -> kv.Value) |> Seq.reduce (+)
        total.MoveToOuterDisposeScope()

/// The paper's objectives and schedules for C# callers.
[<AbstractClass; Sealed>]
type Objectives =
    /// Cross-entropy only (teachers, the student-alone baseline).
    static member CrossEntropy = Objective.Presets.crossEntropy
    /// Vanilla KD (T 4, CE 0.1, KD 0.9) or KD+LS (τ 2, CE 0.1, KD 9).
    static member Kd(standardize: bool) = Objective.Presets.kd standardize
    /// DKD (CE 1, α 1, β 8, T 4, warm-up 20) or DKD+LS (α 9, β 72, τ 2).
    static member Dkd(standardize: bool) = Objective.Presets.dkd standardize
    /// MLKD (T 4, CE 0.1, KD 0.9) or MLKD+LS (τ 2, CE 0.1, KD 9).
    static member Mlkd(standardize: bool) = Objective.Presets.mlkd standardize
    /// CTKD (t 1 + 20·σ, CE 0.1, KD 0.9) or CTKD+LS (KD 9).
    static member Ctkd(standardize: bool) = Objective.Presets.ctkd standardize
    /// The formula of an objective, e.g. `0.1·CE + 9·KD(τ=2, zscore)`.
    static member Describe(objective: Objective.Objective) = Objective.describe objective
    /// mdistiller's multi-step learning rate at a 1-based epoch.
    static member MultiStepLr(baseLr: float, milestones: int[], rate: float, epoch: int) =
        Schedules.multiStepLr baseLr (List.ofArray milestones) rate epoch
    /// DKD's warm-up factor min(epoch / warmup, 1).
    static member DkdWarmup(warmup: int, epoch: int) = Schedules.dkdWarmup warmup epoch
    /// CTKD's gradient-reversal λ at an epoch (0 → −1 over 10 epochs).
    static member CtkdLambda(epoch: int) = Schedules.ctkdLambda epoch
    /// Whether an objective needs a teacher, MLKD's strong view, or CTKD's learnable temperature.
    static member NeedsTeacher(objective: Objective.Objective) = Objective.needsTeacher objective
    static member NeedsStrongView(objective: Objective.Objective) = Objective.needsStrongView objective
    /// Whether each term (in order) reads the strong-view student logits as well as the main ones.
    static member TermsUseStrongView(objective: Objective.Objective) : bool[] =
        objective.Terms |> List.map (fun w -> Objective.usesStrongStudent w.Term) |> Array.ofList
    static member NeedsTemperatureParam(objective: Objective.Objective) = Objective.needsTemperatureParam objective
    /// CTKD's (t_start, t_end) of an objective with a CTKD term.
    static member CtkdRange(objective: Objective.Objective) : struct (float * float) =
        objective.Terms
        |> List.pick (fun w -> match w.Term with Objective.Ctkd (a, b, _) -> Some(struct (a, b)) | _ -> None)

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
    /// `none`, `kd`, `dkd`, `mlkd`, `ctkd` or `custom`, and whether the distillation is standardized.
    static member MethodOf(objective: Objective.Objective) = Experiment.methodOf objective
    static member Standardizes(objective: Objective.Objective) = Experiment.standardizes objective
    /// The learning rate of a 1-based epoch under the experiment's multi-step schedule.
    static member LearningRate(solver: Experiment.Solver, epoch: int) =
        Schedules.multiStepLr solver.Lr solver.LrMilestones solver.LrDecayRate epoch
    /// A paired difference with its 95 % t interval, from (x, y) pairs (difference y − x).
    static member PairedDifference(pairs: seq<float * float>) = Stats.pairedDifference (List.ofSeq pairs)

/// Statistics for C# callers, defined once in `Stats`.
[<AbstractClass; Sealed>]
type Statistics =
    /// The mean of the values (at least one).
    static member Mean(values: seq<float>) = Stats.mean (List.ofSeq values)
    /// The sample standard deviation (n − 1); 0 for a single value.
    static member SampleStd(values: seq<float>) = Stats.sampleStd (List.ofSeq values)
