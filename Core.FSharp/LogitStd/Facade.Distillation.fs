namespace LogitStd.Core

open System
open System.Collections.Generic
open System.Runtime.InteropServices
open TorchSharp
open LogitStd.Core.Standardize
open LogitStd.Core.Losses

/// The C# (and any .NET language) entry point to the losses: static members with named, documented
/// parameters. Every method returns a fresh tensor; inputs are never modified or disposed. Tensors
/// may be float32 (training) or float64 (verification), on any device. Bad input (shapes, labels out
/// of range, one class, NaN logits, a temperature ≤ 0) raises an `ArgumentException` naming it;
/// non-finite logits raise its subclass `Validate.NonFiniteLogitsException`.
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

    /// DIST loss β·inter + γ·intra (τ² in each): 1 − mean Pearson of the probabilities at τ, per
    /// sample (inter) and per class across the batch (intra; it couples the batch's samples).
    static member Dist(student: torch.Tensor, teacher: torch.Tensor, beta: float, gamma: float, temperature: float,
                       [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Dist.dist (Distillation.Prep standardize) beta gamma temperature student teacher

    /// NKD loss: the target term −mean p_t[y]·log p_s[y] + γ·T²·the non-target cross-entropy over the
    /// K − 1 other classes (the official code's cross-entropy form).
    static member Nkd(student: torch.Tensor, teacher: torch.Tensor, target: torch.Tensor, temperature: float, gamma: float,
                      [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Nkd.nkd (Distillation.Prep standardize) temperature gamma student teacher target

    /// WTTM loss mean_b w_b·KL(p_t^γ/Σp_t^γ ‖ softmax(s)), w_b = Σ_k p_t^γ (no temperature, no T²).
    static member Wttm(student: torch.Tensor, teacher: torch.Tensor, gamma: float,
                       [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Wttm.wttm (Distillation.Prep standardize) gamma student teacher

    /// RLD loss α·SCD + β·MCD (no warm-up factor): sample-confidence KL at α_T, masked-correlation
    /// KL at T over the classes the teacher ranks below the label.
    static member Rld(student: torch.Tensor, teacher: torch.Tensor, target: torch.Tensor,
                      alpha: float, beta: float, temperature: float, alphaTemperature: float,
                      [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        Rld.rld (Distillation.Prep standardize) alpha beta temperature alphaTemperature student teacher target

    /// ce_weight · CE(raw student, y) + kd_weight · kd.
    static member KdObjective(student: torch.Tensor, teacher: torch.Tensor, target: torch.Tensor,
                              temperature: float, ceWeight: float, kdWeight: float,
                              [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        let o = Objective.Presets.kdWith standardize temperature ceWeight kdWeight
        Objective.validate o
        Distillation.Sum(o, student, target, teacher, 1)

    /// ce_weight · CE + min(epoch / warmup, 1) · dkd; `epoch` counts from 1.
    static member DkdObjective(student: torch.Tensor, teacher: torch.Tensor, target: torch.Tensor,
                               alpha: float, beta: float, temperature: float, ceWeight: float,
                               epoch: int, warmup: int,
                               [<Optional; DefaultParameterValue(false)>] standardize: bool) : torch.Tensor =
        let o = Objective.Presets.dkdWith standardize alpha beta temperature ceWeight warmup
        Objective.validate o
        Distillation.Sum(o, student, target, teacher, epoch)

    /// The sum of an objective's terms, the terms disposed (the two shortcuts above).
    static member private Sum(o: Objective.Objective, student: torch.Tensor, target: torch.Tensor, teacher: torch.Tensor, epoch: int) : torch.Tensor =
        use scope = torch.NewDisposeScope()
        let inputs : Objective.Inputs =
            { Student = student; Teacher = Some teacher; Target = target; StudentStrong = None
              TeacherStrong = None; Epoch = epoch; TemperatureParam = None }
        let total = Objective.evaluate o inputs |> Objective.total
        total.MoveToOuterDisposeScope()

    /// Evaluates an objective (built by `Objectives`) on one batch: the total and each named,
    /// weighted term. `teacher` is needed by every distillation term, `studentStrong` and
    /// `teacherStrong` by MLKD, `temperatureParam` (a one-element tensor requiring grad) by CTKD;
    /// `epoch` (counted from 1) by every objective whose schedule reads it — DKD's and RLD's warm-up,
    /// CTKD's λ — and an ArgumentException names the term when it is missing there.
    static member Evaluate(objective: Objective.Objective, student: torch.Tensor, target: torch.Tensor,
                           [<Optional>] teacher: torch.Tensor | null,
                           [<Optional>] epoch: Nullable<int>,
                           [<Optional>] studentStrong: torch.Tensor | null,
                           [<Optional>] teacherStrong: torch.Tensor | null,
                           [<Optional>] temperatureParam: torch.Tensor | null) : LossResult =
        if epoch.HasValue && epoch.Value < 1 then
            invalidArg "epoch" (sprintf "epochs count from 1, got %d" epoch.Value)
        match Objective.epochReader objective, epoch.HasValue with
        | Some (name, schedule), false ->
            invalidArg "epoch" (sprintf "term '%s' reads the epoch (%s): pass epoch, counted from 1" name schedule)
        | _ -> ()
        let inputs : Objective.Inputs =
            { Student = student
              Teacher = Option.ofObj teacher
              Target = target
              StudentStrong = Option.ofObj studentStrong
              TeacherStrong = Option.ofObj teacherStrong
              // Read only by the schedules checked above: any value serves an objective without one.
              Epoch = (if epoch.HasValue then epoch.Value else 1)
              TemperatureParam = Option.ofObj temperatureParam }
        let terms = Objective.evaluate objective inputs
        let total = Objective.total terms
        new LossResult(total, terms |> List.map (fun (n, t) -> KeyValuePair(n, t)) |> ResizeArray :> IReadOnlyList<_>)
