/// Multi-level logit distillation (Jin et al., CVPR 2023) with the standardization switch on the
/// instance level (PAPER.md §3; official code `mdistiller/distillers/MLKD.py`).
///
/// Two quirks of the official code decide its published numbers and are reproduced on purpose:
/// 1. each level's loss is a *scalar* multiplied by a boolean mask and then averaged, so the mask
///    acts as a weight equal to the fraction of selected entries (≈ 0.5), not as a selection;
/// 2. the "strong" instance-level sum uses the weak-view logits for the temperatures 2 and 6.
module LogitStd.Core.Losses.Mlkd


open TorchSharp
open LogitStd.Core
open LogitStd.Core.Standardize

/// The official temperature list after the configurable first one: [τ; 3; 5; 2; 6].
let internal temperatures (tau: float) = [ tau; 3.0; 5.0; 2.0; 6.0 ]

/// The 50th percentile with numpy's default linear interpolation (`np.percentile(x, 50)`).
let internal percentile50 (values: float[]) : float =
    if values.Length = 0 then invalidArg "values" "percentile of an empty set"
    let v = Array.sort values
    let pos = float (v.Length - 1) * 0.5
    let lo = int (floor pos)
    let hi = int (ceil pos)
    let frac = pos - float lo
    let a, b = v.[lo], v.[hi]
    // numpy's _lerp: a + (b − a)·t, computed from the upper end when t ≥ 0.5
    if frac >= 0.5 then b - (b - a) * (1.0 - frac) else a + (b - a) * frac

/// The confidence masks, from the raw weak-view teacher logits at T = 1:
/// instance mask [B]: max_k softmax(t_w) ≤ its median; class mask [K]: Σ_b softmax(t_w) ≤ its median.
/// Returned as 0/1 tensors of the logits' dtype.
let masks (teacherWeak: torch.Tensor) : torch.Tensor * torch.Tensor =
    use _ng = torch.no_grad()
    use scope = torch.NewDisposeScope()
    let p = teacherWeak.detach().softmax(1L)
    let conf = p.amax([| 1L |])
    let classConf = p.sum(0L)
    // Both medians from one host read of [conf; classConf].
    let host = torch.cat([| conf; classConf |], 0L).to_type(torch.float64).cpu().data<float>().ToArray()
    let b = int conf.shape.[0]
    let toMask (c: torch.Tensor) (values: float[]) =
        let thresh = percentile50 values
        c.le(torch.tensor(thresh, dtype = c.dtype, device = c.device)).to_type(c.dtype)
    let m, cm = toMask conf host.[.. b - 1], toMask classConf host.[b ..]
    m.MoveToOuterDisposeScope(), cm.MoveToOuterDisposeScope()

/// Class-level consistency: Σ (P_tᵀP_t − P_sᵀP_s)² / K with P = softmax(x/T) on raw logits.
let internal classConsistency (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let ps = (student / temperature).softmax(1L)
    let pt = (teacher / temperature).softmax(1L)
    let d = pt.t().mm(pt) - ps.t().mm(ps)
    ((d * d).sum() / float student.shape.[1]).MoveToOuterDisposeScope()

/// Batch-level consistency: Σ (P_t P_tᵀ − P_s P_sᵀ)² / B with P = softmax(x/T) on raw logits.
let internal batchConsistency (temperature: float) (student: torch.Tensor) (teacher: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let ps = (student / temperature).softmax(1L)
    let pt = (teacher / temperature).softmax(1L)
    let d = pt.mm(pt.t()) - ps.mm(ps.t())
    ((d * d).sum() / float student.shape.[0]).MoveToOuterDisposeScope()

/// The four logit batches of one MLKD step.
type Views =
    { StudentWeak: torch.Tensor
      StudentStrong: torch.Tensor
      TeacherWeak: torch.Tensor
      TeacherStrong: torch.Tensor }

/// The shapes of the four views (no host read).
let internal validateViewShapes (v: Views) =
    Validate.pairShape v.StudentWeak v.TeacherWeak
    Validate.pairShape v.StudentStrong v.TeacherStrong
    if v.StudentWeak.shape <> v.StudentStrong.shape then
        invalidArg "views" (sprintf "weak view logits %s and strong view logits %s differ in shape" (Validate.shapeText v.StudentWeak) (Validate.shapeText v.StudentStrong))

/// The four views' logit batches as the value checks name them.
let internal viewValues (v: Views) =
    [ "student", v.StudentWeak; "teacher", v.TeacherWeak; "strong-view student", v.StudentStrong; "strong-view teacher", v.TeacherStrong ]

/// Shapes and values of the four views (one host read).
let internal validateViews (v: Views) =
    validateViewShapes v
    Validate.values (viewValues v) None

let private maskedMean (loss: torch.Tensor) (mask: torch.Tensor) = (loss * mask).mean()

/// Instance level, unweighted: Σ_T mean(kd(s_w,t_w,T)·mask) + Σ_{T∈[τ,3,5]} kd(s_s,t_s,T) + Σ_{T∈[2,6]} kd(s_w,t_w,T).
/// The only level that gets the standardization.
let instanceLevel (prep: Prep) (tau: float) (v: Views) (mask: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let ts = temperatures tau
    // Inputs are validated once by the caller (`parts`, the objective); the kernels do not re-check.
    let weak = ts |> List.map (fun t -> maskedMean (Kd.kdUnchecked prep t v.StudentWeak v.TeacherWeak) mask)
    let strong = ts |> List.take 3 |> List.map (fun t -> Kd.kdUnchecked prep t v.StudentStrong v.TeacherStrong)
    // Official quirk: the last two "strong" terms are computed on the weak view.
    let weakInStrong = ts |> List.skip 3 |> List.map (fun t -> Kd.kdUnchecked prep t v.StudentWeak v.TeacherWeak)
    let total = (weak @ strong @ weakInStrong) |> List.reduce (+)
    total.MoveToOuterDisposeScope()

/// Class level, unweighted: Σ_T mean(cc(prep(s_w), prep(t_w), T) · class_mask). The official
/// objective uses raw logits (`classLevel`); the Z-scored form exists for the ablation arms that
/// separate MLKD+LS's suspects (docs/study.md, "MLKD at ten classes, explained") and is not the paper's objective.
let classLevelWith (prep: Prep) (tau: float) (studentWeak: torch.Tensor) (teacherWeak: torch.Tensor) (classMask: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let s, t0 = apply prep studentWeak, apply prep teacherWeak
    let total = temperatures tau |> List.map (fun t -> maskedMean (classConsistency t s t0) classMask) |> List.reduce (+)
    total.MoveToOuterDisposeScope()

/// Class level, unweighted, on raw logits (the official objective).
let classLevel (tau: float) (studentWeak: torch.Tensor) (teacherWeak: torch.Tensor) (classMask: torch.Tensor) : torch.Tensor =
    classLevelWith Raw tau studentWeak teacherWeak classMask

/// Batch level, unweighted: Σ_T mean(bc(prep(s_w), prep(t_w), T) · mask); raw in the official
/// objective (`batchLevel`), Z-scored only in the ablation arms.
let batchLevelWith (prep: Prep) (tau: float) (studentWeak: torch.Tensor) (teacherWeak: torch.Tensor) (mask: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let s, t0 = apply prep studentWeak, apply prep teacherWeak
    let total = temperatures tau |> List.map (fun t -> maskedMean (batchConsistency t s t0) mask) |> List.reduce (+)
    total.MoveToOuterDisposeScope()

/// Batch level, unweighted, on raw logits (the official objective).
let batchLevel (tau: float) (studentWeak: torch.Tensor) (teacherWeak: torch.Tensor) (mask: torch.Tensor) : torch.Tensor =
    batchLevelWith Raw tau studentWeak teacherWeak mask

/// The named parts of the MLKD training loss, each already weighted.
type Parts = { Ce: torch.Tensor; Kd: torch.Tensor; Cc: torch.Tensor; Bc: torch.Tensor }

/// The full MLKD objective's parts: ce_weight·(CE(s_w,y) + CE(s_s,y)), kd_weight·instance,
/// kd_weight·class, kd_weight·batch. Cross-entropy on raw student logits.
let parts (prep: Prep) (tau: float) (ceWeight: float) (kdWeight: float) (v: Views) (target: torch.Tensor) : Parts =
    Validate.temperature "temperature" tau
    Validate.weight "ce_weight" ceWeight
    Validate.weight "kd_weight" kdWeight
    validateViewShapes v
    Validate.targetsShape target v.StudentWeak.shape.[0]
    Validate.values (viewValues v) (Some (target, v.StudentWeak.shape.[1]))
    use scope = torch.NewDisposeScope()
    let mask, classMask = masks v.TeacherWeak
    let ce = (torch.nn.functional.cross_entropy(v.StudentWeak, target) + torch.nn.functional.cross_entropy(v.StudentStrong, target)) * ceWeight
    let kd = instanceLevel prep tau v mask * kdWeight
    let cc = classLevel tau v.StudentWeak v.TeacherWeak classMask * kdWeight
    let bc = batchLevel tau v.StudentWeak v.TeacherWeak mask * kdWeight
    { Ce = ce.MoveToOuterDisposeScope(); Kd = kd.MoveToOuterDisposeScope(); Cc = cc.MoveToOuterDisposeScope(); Bc = bc.MoveToOuterDisposeScope() }

/// The total MLKD training loss (the sum of `parts`).
let objective (prep: Prep) (tau: float) (ceWeight: float) (kdWeight: float) (v: Views) (target: torch.Tensor) : torch.Tensor =
    use scope = torch.NewDisposeScope()
    let p = parts prep tau ceWeight kdWeight v target
    (p.Ce + p.Kd + p.Cc + p.Bc).MoveToOuterDisposeScope()

