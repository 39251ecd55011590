#!/usr/bin/python3
"""Generate the LogitStd reference vectors (format ``logitstd-reference/1``) with PyTorch, float64.

What this implements
--------------------
The loss functions of the official logit-standardization code
(sunshangquan/logit-standardization-KD, a fork of megvii-research/mdistiller, plus the CTKD
temperature module of zhengli97/CTKD), re-written here from /work/shared/PAPER.md sections 2-3 and
checked against the sample cases that the official implementation produced
(/work/shared/reference-sample.json, see ``--verify``). The quirks of the official code are kept
on purpose, because the published numbers come from them:

* Z-score: ``(x - mean) / (1e-7 + std)`` per row, unbiased std (K-1), eps added to the std.
  Autograd flows through mean and std. A zero-spread student row standardizes to zeros and its
  gradient is scaled by ``1 / (1e-7 + std)``, about 1e7: torch 1.13 masks the std backward to 0
  where std == 0 (otherwise 0/0), and where rounding leaves a ~1e-16 spread the std term stays
  small. Gradients of up to ~1e8 result; they are recorded as computed (cases whose description
  contains ``constant_row``); a consumer may require only a finite gradient and the exact loss.
* kd: ``T^2 * kl_div(log_softmax(prep(s)/T), softmax(prep(t)/T), reduction="none").sum(1).mean()``.
* dkd: binary target/non-target probabilities via ``cat_mask`` (sums of the full softmax), the
  log of the student's binary probabilities taken directly (no clamp: a probability that
  underflows to 0 gives -inf; torch >= 1.12 computes kl_div as ``xlogy(p, p) - p * input``, so
  0 * -inf gives NaN, or +inf where the teacher's probability is positive: raw DKD cases named
  ``huge``), ``kl_div(..., reduction="sum") * T^2 / B``;
  NCKD on ``x/T - 1000 * gt_mask`` (not a true -inf mask: with raw logits of magnitude 1e4 the
  target class still dominates at T = 1).
* kd-objective: ``ce_weight * CE(raw s, y) + kd_weight * kd``.
* dkd-objective: ``ce_weight * CE(raw s, y) + min(epoch / warmup, 1) * dkd``.
* mlkd-objective: the full MLKD training loss (``loss_ce + loss_kd + loss_cc + loss_bc`` of the
  official ``MLKD.forward_train``): confidence masks from ``np.percentile(..., 50)`` on the raw
  weak-view teacher softmax (T = 1), ``le`` (ties included), the *scalar* losses multiplied by the
  boolean masks and then ``.mean()``-ed (so a mask acts as the weight "fraction selected");
  temperatures ``[tau, 3, 5, 2, 6]``; the "strong" sum uses the weak-view logits for T = 2 and 6;
  class-level (cc) and batch-level (bc) terms on raw logits, weak view only; Z-score only in the
  instance-level kd terms; CE on both views.
* ctkd: ``KLDivLoss(reduction="batchmean")(log_softmax(prep(s)/T), softmax(prep(t)/T)) * T * T``
  with ``T = t_start + t_end * sigmoid(GRL(temperature_param, grl_lambda))``; the GRL is the
  identity forward and multiplies the gradient by ``grl_lambda`` backward (CTKD's
  ``GradientReversalFunction``: ``dx = lambda_ * grads``; lambda runs 0 -> -1 over 10 epochs by
  the cosine schedule, so it is <= 0 and reverses the gradient). ``grad_temperature_param`` is the
  gradient reaching the parameter, i.e. ``grl_lambda * d(value)/d(temperature_param)``. The
  case name carries ``epoch`` (the schedule epoch giving that lambda) and the resulting
  ``temperature``, as in the sample.

``grad_student`` is d(value)/d(student logits) by float64 autograd (``null`` for zscore). Inputs
are random normal logits rounded to 12 significant digits (as in the sample) from a fixed seed,
plus edge cases: constant rows (student and/or teacher), logits of magnitude 1e4 (``huge``),
spreads of 1e-6 (``tiny_spread``), two classes, ties, identical / affinely related student and
teacher, DKD epochs before/at/after warm-up, CTKD lambdas 0, -0.5, -1 and in between.
Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".

How to run
----------
Debian's PyTorch (python3-torch 1.13), no other dependency than numpy::

    /usr/bin/python3 tools/reference/generate_reference.py --out tests/reference/logitstd-reference.json
    /usr/bin/python3 tools/reference/generate_reference.py --verify /work/shared/reference-sample.json
    /usr/bin/python3 tools/reference/generate_reference.py --verify tests/reference/logitstd-reference.json

The output is deterministic (same bytes on every run: string-seeded ``random.Random`` per input
set, one torch thread, Python ``repr`` floats). ``--verify FILE`` recomputes every case of FILE
with the functions below and compares values and gradients element-wise (match: relative error
<= 1e-6 or absolute error <= 1e-9; non-finite entries must be identical); it exits 1 on any
mismatch.
"""

import argparse
import json
import math
import random
import sys

import numpy as np
import torch
import torch.nn.functional as F

FORMAT = "logitstd-reference/1"
SEED = 20240301
DTYPE = torch.float64
EPS = 1e-7
REL_TOL = 1e-6
ABS_TOL = 1e-9
MLKD_EXTRA_TEMPERATURES = (3.0, 5.0, 2.0, 6.0)


# ----------------------------------------------------------------------------------------------
# The losses (official-code semantics)
# ----------------------------------------------------------------------------------------------

def normalize(logit):
    """Z-score per row: unbiased std, eps 1e-7 added to the std (official ``normalize``)."""
    mean = logit.mean(dim=-1, keepdim=True)
    stdv = logit.std(dim=-1, keepdim=True)  # unbiased (K - 1)
    return (logit - mean) / (EPS + stdv)


def prep(x, standardize):
    return normalize(x) if standardize else x


def kd_loss(student, teacher, temperature, standardize):
    """mdistiller ``kd_loss``: T^2 * sum over classes, mean over batch."""
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    log_pred_student = F.log_softmax(s / temperature, dim=1)
    pred_teacher = F.softmax(t / temperature, dim=1)
    loss_kd = F.kl_div(log_pred_student, pred_teacher, reduction="none").sum(1).mean()
    loss_kd = loss_kd * temperature ** 2
    return loss_kd


def _gt_mask(logits, target):
    return torch.zeros_like(logits).scatter_(1, target.reshape(-1).unsqueeze(1), 1).bool()


def _other_mask(logits, target):
    return torch.ones_like(logits).scatter_(1, target.reshape(-1).unsqueeze(1), 0).bool()


def _cat_mask(t, mask1, mask2):
    t1 = (t * mask1).sum(dim=1, keepdim=True)
    t2 = (t * mask2).sum(1, keepdim=True)
    return torch.cat([t1, t2], dim=1)


def dkd_loss(student, teacher, target, alpha, beta, temperature, standardize):
    """mdistiller ``dkd_loss`` (LS applied to the full vectors before the split)."""
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    gt_mask = _gt_mask(s, target)
    other_mask = _other_mask(s, target)
    pred_student = F.softmax(s / temperature, dim=1)
    pred_teacher = F.softmax(t / temperature, dim=1)
    pred_student = _cat_mask(pred_student, gt_mask, other_mask)
    pred_teacher = _cat_mask(pred_teacher, gt_mask, other_mask)
    log_pred_student = torch.log(pred_student)  # no clamp, as in the official code
    tckd = F.kl_div(log_pred_student, pred_teacher, reduction="sum") * (temperature ** 2) / target.shape[0]
    pred_teacher_part2 = F.softmax(t / temperature - 1000.0 * gt_mask, dim=1)
    log_pred_student_part2 = F.log_softmax(s / temperature - 1000.0 * gt_mask, dim=1)
    nckd = F.kl_div(log_pred_student_part2, pred_teacher_part2, reduction="sum") * (temperature ** 2) / target.shape[0]
    return alpha * tckd + beta * nckd


def kd_objective(student, teacher, target, temperature, ce_weight, kd_weight, standardize):
    loss_ce = ce_weight * F.cross_entropy(student, target)
    loss_kd = kd_weight * kd_loss(student, teacher, temperature, standardize)
    return loss_ce + loss_kd


def dkd_objective(student, teacher, target, alpha, beta, temperature, ce_weight, epoch, warmup,
                  standardize):
    loss_ce = ce_weight * F.cross_entropy(student, target)
    loss_dkd = min(epoch / warmup, 1.0) * dkd_loss(student, teacher, target, alpha, beta,
                                                   temperature, standardize)
    return loss_ce + loss_dkd


def cc_loss(student, teacher, temperature):
    _, class_num = teacher.shape
    ps = F.softmax(student / temperature, dim=1)
    pt = F.softmax(teacher / temperature, dim=1)
    sm = torch.mm(ps.transpose(1, 0), ps)
    tm = torch.mm(pt.transpose(1, 0), pt)
    return ((tm - sm) ** 2).sum() / class_num


def bc_loss(student, teacher, temperature):
    batch_size, _ = teacher.shape
    ps = F.softmax(student / temperature, dim=1)
    pt = F.softmax(teacher / temperature, dim=1)
    sm = torch.mm(ps, ps.transpose(1, 0))
    tm = torch.mm(pt, pt.transpose(1, 0))
    return ((tm - sm) ** 2).sum() / batch_size


def mlkd_objective(s_weak, s_strong, t_weak, t_strong, target, temperature, ce_weight, kd_weight,
                   standardize):
    """Total of the official ``MLKD.forward_train`` losses_dict (ce + kd + cc_weak + bc_weak)."""
    pred_teacher_weak = F.softmax(t_weak.detach(), dim=1)
    confidence, _ = pred_teacher_weak.max(dim=1)
    conf_thresh = np.percentile(confidence.numpy().flatten(), 50)
    mask = confidence.le(conf_thresh).bool()
    class_confidence = torch.sum(pred_teacher_weak, dim=0)
    class_thresh = np.percentile(class_confidence.numpy().flatten(), 50)
    class_conf_mask = class_confidence.le(class_thresh).bool()

    temps = (temperature,) + MLKD_EXTRA_TEMPERATURES
    w = kd_weight
    loss_ce = ce_weight * (F.cross_entropy(s_weak, target) + F.cross_entropy(s_strong, target))

    loss_kd_weak = None
    for T in temps:
        term = w * ((kd_loss(s_weak, t_weak, T, standardize) * mask).mean())
        loss_kd_weak = term if loss_kd_weak is None else loss_kd_weak + term
    # official quirk: the "strong" sum uses the weak view for T = 2 and 6
    strong_views = [(s_strong, t_strong, temperature), (s_strong, t_strong, 3.0),
                    (s_strong, t_strong, 5.0), (s_weak, t_weak, 2.0), (s_weak, t_weak, 6.0)]
    loss_kd_strong = None
    for s, t, T in strong_views:
        term = w * kd_loss(s, t, T, standardize)
        loss_kd_strong = term if loss_kd_strong is None else loss_kd_strong + term

    loss_cc_weak = None
    for T in temps:
        term = w * ((cc_loss(s_weak, t_weak, T) * class_conf_mask).mean())
        loss_cc_weak = term if loss_cc_weak is None else loss_cc_weak + term
    loss_bc_weak = None
    for T in temps:
        term = w * ((bc_loss(s_weak, t_weak, T) * mask).mean())
        loss_bc_weak = term if loss_bc_weak is None else loss_bc_weak + term

    # the trainer sums the losses_dict values in insertion order
    losses = [loss_ce, loss_kd_weak + loss_kd_strong, loss_cc_weak, loss_bc_weak]
    return sum(l.mean() for l in losses)


class GradientReversalFunction(torch.autograd.Function):
    """CTKD's GRL: identity forward, gradient times lambda backward."""

    @staticmethod
    def forward(ctx, x, lambda_):
        ctx.lambda_ = lambda_
        return x.clone()

    @staticmethod
    def backward(ctx, grads):
        lambda_ = grads.new_tensor(ctx.lambda_)
        return lambda_ * grads, None


def ctkd_lambda(epoch, loops=10, max_value=0.0, min_value=-1.0):
    """CTKD's CosineDecay for the GRL lambda: 0 at epoch 0, -1 from epoch `loops` on."""
    i = min(max(epoch, 0), loops)
    value = (math.cos(i * math.pi / loops) + 1.0) * 0.5
    return value * (max_value - min_value) + min_value


def ctkd_temperature(t_start, t_end, param, lambda_):
    return t_start + t_end * torch.sigmoid(GradientReversalFunction.apply(param, lambda_))


def ctkd_loss(student, teacher, temperature, standardize):
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    T = temperature
    return F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1),
                    reduction="batchmean") * T * T


# ----------------------------------------------------------------------------------------------
# Evaluating one case (shared by generation and --verify)
# ----------------------------------------------------------------------------------------------

def _t(rows, grad=False):
    x = torch.tensor(rows, dtype=DTYPE)
    if grad:
        x.requires_grad_(True)
    return x


def _y(target):
    return torch.tensor(target, dtype=torch.long)


def _grad(x):
    return None if x.grad is None else x.grad.tolist()


def compute(case):
    """Return ``(expected, extra)`` for a case: the `expected` object, and for ctkd the forward
    temperature (``extra["temperature"]``, checked against the case name by --verify)."""
    loss, p, ls = case["loss"], case["params"], case["standardize"]
    if loss == "zscore":
        with torch.no_grad():
            z = normalize(_t(case["student"]))
        return {"value": z.tolist(), "grad_student": None}, {}

    if loss == "mlkd-objective":
        sw = _t(case["student"]["weak"], True)
        ss = _t(case["student"]["strong"], True)
        tw = _t(case["teacher"]["weak"])
        ts = _t(case["teacher"]["strong"])
        value = mlkd_objective(sw, ss, tw, ts, _y(case["target"]), p["temperature"],
                               p["ce_weight"], p["kd_weight"], ls)
        value.backward()
        return {"value": value.item(), "grad_student": {"weak": _grad(sw), "strong": _grad(ss)}}, {}

    s = _t(case["student"], True)
    t = _t(case["teacher"])
    extra = {}
    if loss == "kd":
        value = kd_loss(s, t, p["temperature"], ls)
    elif loss == "dkd":
        value = dkd_loss(s, t, _y(case["target"]), p["alpha"], p["beta"], p["temperature"], ls)
    elif loss == "kd-objective":
        value = kd_objective(s, t, _y(case["target"]), p["temperature"], p["ce_weight"],
                             p["kd_weight"], ls)
    elif loss == "dkd-objective":
        value = dkd_objective(s, t, _y(case["target"]), p["alpha"], p["beta"], p["temperature"],
                              p["ce_weight"], p["epoch"], p["warmup"], ls)
    elif loss == "ctkd":
        param = torch.tensor([p["temperature_param"]], dtype=DTYPE, requires_grad=True)
        temperature = ctkd_temperature(p["t_start"], p["t_end"], param, p["grl_lambda"])
        value = ctkd_loss(s, t, temperature, ls)
        value = value.sum()  # shape [1] -> scalar, as the trainer's sum of the losses_dict
        extra["temperature"] = temperature.item()
        value.backward()
        return {"value": value.item(), "grad_student": _grad(s),
                "grad_temperature_param": param.grad.item()}, extra
    else:
        raise ValueError("unknown loss kind: %r" % loss)
    value.backward()
    return {"value": value.item(), "grad_student": _grad(s)}, extra


# ----------------------------------------------------------------------------------------------
# JSON helpers
# ----------------------------------------------------------------------------------------------

def encode_nonfinite(x):
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x
    if isinstance(x, list):
        return [encode_nonfinite(v) for v in x]
    if isinstance(x, dict):
        return {k: encode_nonfinite(v) for k, v in x.items()}
    return x


def decode_nonfinite(x):
    if isinstance(x, str) and x in ("NaN", "Infinity", "-Infinity"):
        return float(x.replace("Infinity", "inf"))
    if isinstance(x, list):
        return [decode_nonfinite(v) for v in x]
    if isinstance(x, dict):
        return {k: decode_nonfinite(v) for k, v in x.items()}
    return x


def has_nonfinite(x):
    if isinstance(x, float):
        return not math.isfinite(x)
    if isinstance(x, list):
        return any(has_nonfinite(v) for v in x)
    if isinstance(x, dict):
        return any(has_nonfinite(v) for v in x.values())
    return False


def max_abs(x):
    if isinstance(x, float):
        return abs(x)
    if isinstance(x, list):
        return max((max_abs(v) for v in x), default=0.0)
    if isinstance(x, dict):
        return max((max_abs(v) for v in x.values()), default=0.0)
    return 0.0


def close(ref, got, path="", errors=None):
    """Element-wise comparison; returns a list of mismatch descriptions."""
    errors = [] if errors is None else errors
    if ref is None or got is None:
        if ref is not got:
            errors.append("%s: %r vs %r" % (path, ref, got))
    elif isinstance(ref, dict):
        for k in ref:
            close(ref[k], got.get(k) if isinstance(got, dict) else None, path + "." + k, errors)
    elif isinstance(ref, list):
        if not isinstance(got, list) or len(ref) != len(got):
            errors.append("%s: shape differs" % path)
        else:
            for i, (r, g) in enumerate(zip(ref, got)):
                close(r, g, "%s[%d]" % (path, i), errors)
    else:
        r, g = float(ref), float(got)
        if not (math.isfinite(r) and math.isfinite(g)):
            same = (math.isnan(r) and math.isnan(g)) or r == g
            if not same:
                errors.append("%s: %r vs %r" % (path, r, g))
        elif not (abs(r - g) <= ABS_TOL or abs(r - g) <= REL_TOL * abs(r)):
            errors.append("%s: %r vs %r" % (path, r, g))
    return errors


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------

def r12(x):
    """Round to 12 significant digits (the sample's input convention)."""
    return float("%.12g" % x)


def fmt(v):
    return repr(v) if isinstance(v, float) else str(v)


def case_name(loss, desc, name_params, standardize):
    if loss == "zscore":
        return "%s/%s" % (loss, desc)
    parts = [loss, desc] + ["%s=%s" % (k, fmt(name_params[k])) for k in sorted(name_params)]
    parts.append("ls" if standardize else "raw")
    return "/".join(parts)


class Inputs:
    """Deterministic logits for one description (shared by every params/ls variant of it)."""

    def __init__(self, key):
        self.rng = random.Random("%d:%s" % (SEED, key))

    def normal(self, b, k, scale=1.0, offset=0.0):
        return [[r12(offset + scale * self.rng.gauss(0.0, 1.0)) for _ in range(k)] for _ in range(b)]

    def ints(self, b, k, lo, hi):
        return [[float(self.rng.randint(lo, hi)) for _ in range(k)] for _ in range(b)]

    def target(self, b, k):
        return [self.rng.randrange(k) for _ in range(b)]


STUDENT_SCALE = 3.0
TEACHER_SCALE = 4.0


def make_pair(kind_key, desc, b, k):
    """Student, teacher, target for a named input family."""
    g = Inputs(kind_key + "/" + desc)
    family = desc.rsplit("_b", 1)[0]
    if family == "random":
        s = g.normal(b, k, STUDENT_SCALE)
        t = g.normal(b, k, TEACHER_SCALE)
    elif family == "constant_row_student":
        # first row constant at a non-representable value (rounding leaves a ~1e-16 spread or none)
        s = g.normal(b, k, STUDENT_SCALE)
        t = g.normal(b, k, TEACHER_SCALE)
        s[0] = [r12(0.1 * (1 + g.rng.random()))] * k
    elif family == "constant_row_student_exact":
        s = g.normal(b, k, STUDENT_SCALE)
        t = g.normal(b, k, TEACHER_SCALE)
        s[0] = [2.0] * k  # exact mean: std == 0 exactly (torch masks the std backward there)
    elif family == "constant_row_all_student":
        t = g.normal(b, k, TEACHER_SCALE)
        s = [[r12(g.rng.uniform(-3, 3))] * k for _ in range(b)]
    elif family == "constant_row_teacher":
        s = g.normal(b, k, STUDENT_SCALE)
        t = g.normal(b, k, TEACHER_SCALE)
        t[0] = [r12(g.rng.uniform(-3, 3))] * k
        if b > 2:
            t[b - 1] = [0.0] * k
    elif family == "constant_row_both":
        s = g.normal(b, k, STUDENT_SCALE)
        t = g.normal(b, k, TEACHER_SCALE)
        s[0] = [1.5] * k
        t[0] = [-0.7] * k
    elif family == "huge":
        s = g.normal(b, k, 1e4)
        t = g.normal(b, k, 1e4)
    elif family == "huge_student":
        s = g.normal(b, k, 1e4)
        t = g.normal(b, k, TEACHER_SCALE)
    elif family == "tiny_spread":
        s = g.normal(b, k, 1e-6)
        t = g.normal(b, k, 1e-6)
    elif family == "tiny_spread_offset":
        s = g.normal(b, k, 1e-6, offset=3.0)
        t = g.normal(b, k, 1e-6, offset=-2.0)
    elif family == "tiny_spread_student":
        s = g.normal(b, k, 1e-6, offset=0.5)
        t = g.normal(b, k, TEACHER_SCALE)
    elif family == "ties":
        s = g.ints(b, k, -2, 2)
        t = g.ints(b, k, -2, 2)
    elif family == "identical":
        t = g.normal(b, k, TEACHER_SCALE)
        s = [row[:] for row in t]
    elif family == "affine":
        # student = a * teacher + c per row: the Z-scores coincide (up to eps)
        t = g.normal(b, k, TEACHER_SCALE)
        s = []
        for row in t:
            a, c = g.rng.uniform(0.05, 0.5), g.rng.uniform(-2, 2)
            s.append([r12(a * v + c) for v in row])
    elif family == "mixed_scale":
        s, t = [], []
        for i in range(b):
            sc = (0.1, 1.0, 10.0, 30.0)[i % 4]
            s += g.normal(1, k, sc)
            t += g.normal(1, k, (30.0, 10.0, 1.0, 0.1)[i % 4])
    else:
        raise ValueError(desc)
    y = g.target(b, k)
    return s, t, y


def make_views(desc, b, k):
    """MLKD inputs: weak view, strong view = weak + noise (the same images, two augmentations)."""
    g = Inputs("mlkd-objective/" + desc)
    family = desc.rsplit("_b", 1)[0]
    noise = 1.5
    if family == "random":
        sw, tw = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, TEACHER_SCALE)
    elif family == "tied_confidence":
        # identical teacher rows: every confidence equals the median, the mask is all true
        sw = g.normal(b, k, STUDENT_SCALE)
        tw = g.normal(1, k, TEACHER_SCALE) * b
    elif family == "constant_row_student":
        sw, tw = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, TEACHER_SCALE)
        sw[0] = [r12(0.1 * (1 + g.rng.random()))] * k
    elif family == "constant_row_teacher":
        sw, tw = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, TEACHER_SCALE)
        tw[0] = [1.25] * k
    elif family == "huge":
        sw, tw = g.normal(b, k, 1e4), g.normal(b, k, 1e4)
        noise = 1e3
    elif family == "tiny_spread":
        sw, tw = g.normal(b, k, 1e-6, offset=1.0), g.normal(b, k, 1e-6)
        noise = 1e-7
    elif family == "ties":
        sw, tw = g.ints(b, k, -2, 2), g.ints(b, k, -2, 2)
        noise = 0.0
    else:
        raise ValueError(desc)
    ss = [[r12(v + noise * g.rng.gauss(0.0, 1.0)) for v in row] for row in sw]
    ts = [[r12(v + noise * g.rng.gauss(0.0, 1.0)) for v in row] for row in tw]
    if family == "ties":
        ss = [[float(g.rng.randint(-2, 2)) for _ in row] for row in sw]
        ts = [row[:] for row in tw]
    y = g.target(b, k)
    return {"weak": sw, "strong": ss}, {"weak": tw, "strong": ts}, y


def shape_desc(family, b, k):
    return "%s_b%d_c%d" % (family, b, k)


# ----------------------------------------------------------------------------------------------
# The case plan
# ----------------------------------------------------------------------------------------------

# (family, B, K) input sets for the two-tensor losses
RANDOM_SHAPES = [(1, 2), (3, 2), (1, 10), (2, 3), (4, 10), (8, 10), (64, 10), (4, 100),
                 (16, 100), (2, 1000)]
EDGE_SETS = [
    ("constant_row_student", 4, 10), ("constant_row_student_exact", 3, 10),
    ("constant_row_all_student", 2, 5), ("constant_row_teacher", 4, 10),
    ("constant_row_both", 3, 100), ("huge", 4, 10), ("huge_student", 2, 100),
    ("tiny_spread", 4, 10), ("tiny_spread_offset", 3, 100), ("tiny_spread_student", 2, 10),
    ("ties", 8, 10), ("ties", 4, 2), ("identical", 4, 10), ("affine", 4, 10),
    ("mixed_scale", 8, 10), ("random", 32, 2), ("random", 5, 3),
]
BIG_SHAPES = {(64, 10), (16, 100), (2, 1000), (4, 1000), (64, 100)}


def plan():
    cases = []

    def add(loss, desc, standardize, params, name_params, student, teacher, target):
        cases.append({
            "name": case_name(loss, desc, name_params, standardize),
            "loss": loss,
            "standardize": standardize,
            "params": params,
            "student": student,
            "teacher": teacher,
            "target": target,
        })

    # ---- zscore
    for fam, b, k in ([("random", b, k) for b, k in RANDOM_SHAPES] + EDGE_SETS
                      + [("random", 64, 100), ("random", 4, 1000)]):
        desc = shape_desc(fam, b, k)
        if fam in ("identical", "affine"):
            continue
        s, t, _ = make_pair("zscore", desc, b, k)
        # constant_row_teacher: standardize the matrix that holds the constant rows
        add("zscore", desc, True, {}, {}, t if fam == "constant_row_teacher" else s, None, None)
        if fam in ("huge", "tiny_spread_offset", "mixed_scale"):
            add("zscore", shape_desc(fam + "_alt", b, k), True, {}, {}, t, None, None)

    # ---- kd
    for fam, b, k in [("random", b, k) for b, k in RANDOM_SHAPES] + EDGE_SETS:
        desc = shape_desc(fam, b, k)
        s, t, _ = make_pair("kd", desc, b, k)
        temps = [1.0, 2.0, 3.0, 4.0] if (b, k) not in BIG_SHAPES else [2.0, 4.0]
        if k >= 1000:
            temps = [2.0]
        if fam != "random":
            temps = [1.0, 2.0, 4.0]
        if (b, k) == (4, 10) and fam == "random":
            temps = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0]
        for T in temps:
            for ls in (True, False):
                add("kd", desc, ls, {"temperature": T}, {"temperature": T}, s, t, None)

    # ---- dkd
    dkd_presets = [(1.0, 8.0, 4.0), (1.0, 2.0, 4.0), (1.0, 6.0, 4.0), (9.0, 72.0, 2.0),
                   (9.0, 18.0, 2.0), (9.0, 54.0, 2.0), (1.0, 0.5, 1.0), (1.0, 2.0, 1.0),
                   (1.0, 8.0, 2.0), (1.0, 8.0, 3.0), (0.0, 1.0, 2.0), (1.0, 0.0, 2.0)]
    for fam, b, k in [("random", b, k) for b, k in RANDOM_SHAPES] + EDGE_SETS:
        desc = shape_desc(fam, b, k)
        s, t, y = make_pair("dkd", desc, b, k)
        if fam == "random" and (b, k) in ((4, 10), (1, 10), (8, 10)):
            presets = dkd_presets
        elif k >= 1000:
            presets = [(9.0, 72.0, 2.0)]
        elif (b, k) in BIG_SHAPES:
            presets = [(1.0, 8.0, 4.0), (9.0, 72.0, 2.0)]
        else:
            presets = [(1.0, 8.0, 4.0), (9.0, 72.0, 2.0), (1.0, 0.5, 1.0), (1.0, 8.0, 3.0)]
        for a, be, T in presets:
            for ls in (True, False):
                prm = {"alpha": a, "beta": be, "temperature": T}
                add("dkd", desc, ls, prm, prm, s, t, y)

    # ---- kd-objective
    kdo_presets = [(4.0, 0.1, 0.9), (2.0, 0.1, 9.0), (1.0, 0.1, 9.0), (3.0, 0.1, 9.0),
                   (4.0, 1.0, 1.0), (2.0, 0.0, 1.0)]
    kdo_sets = ([("random", b, k) for b, k in RANDOM_SHAPES if (b, k) != (16, 100)]
                + [("constant_row_student", 4, 10), ("constant_row_teacher", 4, 10),
                   ("huge", 4, 10), ("tiny_spread_offset", 3, 100), ("ties", 8, 10),
                   ("identical", 4, 10), ("random", 32, 2)])
    for fam, b, k in kdo_sets:
        desc = shape_desc(fam, b, k)
        s, t, y = make_pair("kd-objective", desc, b, k)
        presets = kdo_presets if (fam == "random" and (b, k) not in BIG_SHAPES) else kdo_presets[:2]
        if k >= 1000:
            presets = kdo_presets[1:2]
        for T, cw, kw in presets:
            for ls in (True, False):
                prm = {"temperature": T, "ce_weight": cw, "kd_weight": kw}
                add("kd-objective", desc, ls, prm, prm, s, t, y)

    # ---- dkd-objective: epochs before / at / after the warm-up
    dko_sets = [("random", 1, 10), ("random", 4, 10), ("random", 2, 3), ("random", 8, 100),
                ("random", 2, 1000), ("huge", 4, 10), ("constant_row_student", 4, 10),
                ("ties", 4, 2)]
    for fam, b, k in dko_sets:
        desc = shape_desc(fam, b, k)
        s, t, y = make_pair("dkd-objective", desc, b, k)
        if fam == "random" and (b, k) == (4, 10):
            sched = [(1.0, 8.0, 4.0, 1.0, e, 20) for e in (0, 1, 10, 19, 20, 21, 240)]
            sched += [(9.0, 72.0, 2.0, 1.0, e, 20) for e in (1, 10, 20, 100)]
            sched += [(1.0, 0.5, 1.0, 1.0, e, 1) for e in (1, 2)]
            sched += [(1.0, 2.0, 1.0, 1.0, 1, 1), (9.0, 54.0, 2.0, 1.0, 5, 20),
                      (1.0, 8.0, 3.0, 0.1, 7, 20)]
        elif (b, k) == (2, 1000):
            sched = [(9.0, 72.0, 2.0, 1.0, 10, 20)]
        elif k >= 100:
            sched = [(1.0, 8.0, 4.0, 1.0, 1, 20), (9.0, 72.0, 2.0, 1.0, 20, 20)]
        else:
            sched = [(1.0, 8.0, 4.0, 1.0, e, 20) for e in (1, 20, 50)]
            sched += [(9.0, 72.0, 2.0, 1.0, e, 20) for e in (10, 20)]
        for a, be, T, cw, ep, wu in sched:
            for ls in (True, False):
                prm = {"alpha": a, "beta": be, "temperature": T, "ce_weight": cw,
                       "epoch": ep, "warmup": wu}
                add("dkd-objective", desc, ls, prm, prm, s, t, y)

    # ---- mlkd-objective
    mlkd_sets = [("random", 1, 10), ("random", 2, 3), ("random", 4, 10), ("random", 5, 10),
                 ("random", 8, 10), ("random", 6, 2), ("random", 16, 100), ("random", 2, 1000),
                 ("random", 64, 10), ("tied_confidence", 4, 10), ("constant_row_student", 4, 10),
                 ("constant_row_teacher", 3, 10), ("huge", 4, 10), ("tiny_spread", 4, 10),
                 ("ties", 6, 5)]
    for fam, b, k in mlkd_sets:
        desc = shape_desc(fam, b, k)
        s, t, y = make_views(desc, b, k)
        if fam == "random" and (b, k) in ((4, 10), (5, 10)):
            presets = [(T, 0.1, 9.0) for T in (1.0, 2.0, 3.0, 4.0)] + [(4.0, 1.0, 1.0)]
        elif (b, k) in BIG_SHAPES:
            presets = [(2.0, 0.1, 9.0)]
        else:
            presets = [(2.0, 0.1, 9.0), (4.0, 1.0, 1.0)]
        for T, cw, kw in presets:
            for ls in (True, False):
                prm = {"temperature": T, "ce_weight": cw, "kd_weight": kw}
                add("mlkd-objective", desc, ls, prm, prm, s, t, y)

    # ---- ctkd
    ctkd_sets = [("random", 1, 10), ("random", 4, 10), ("random", 2, 2), ("random", 8, 100),
                 ("random", 2, 1000), ("random", 64, 10), ("huge", 4, 10),
                 ("constant_row_student", 4, 10), ("tiny_spread", 4, 10), ("ties", 4, 3)]
    for fam, b, k in ctkd_sets:
        desc = shape_desc(fam, b, k)
        s, t, _ = make_pair("ctkd", desc, b, k)
        if fam == "random" and (b, k) in ((4, 10), (1, 10)):
            grid = [(1.0, 20.0, g, e) for g in (1.0, 0.0, -2.0, 2.5, -5.0) for e in (0, 5, 10)]
            grid += [(1.0, 20.0, 0.3, e) for e in (1, 3, 7, 12)]
            grid += [(2.0, 4.0, 0.5, 5), (1.0, 3.0, -1.0, 10)]
        elif k >= 1000:
            grid = [(1.0, 20.0, -3.0, 10)]
        elif (b, k) in BIG_SHAPES:
            grid = [(1.0, 20.0, 1.0, 5), (1.0, 20.0, -3.0, 10)]
        else:
            grid = [(1.0, 20.0, 1.0, 0), (1.0, 20.0, -2.0, 5), (1.0, 20.0, 0.5, 10)]
        for ts_, te, gp, ep in grid:
            lam = ctkd_lambda(ep)
            param = torch.tensor([gp], dtype=DTYPE)
            temperature = (ts_ + te * torch.sigmoid(param)).item()
            prm = {"t_start": ts_, "t_end": te, "temperature_param": gp, "grl_lambda": lam}
            name_prm = {"epoch": ep, "grl_lambda": lam, "t_end": te, "t_start": ts_,
                        "temperature": temperature}
            for ls in (True, False):
                add("ctkd", desc, ls, prm, name_prm, s, t, None)

    return cases




def generate(out_path):
    cases = plan()
    names = set()
    lines = []
    for case in cases:
        if case["name"] in names:
            raise SystemExit("duplicate case name: " + case["name"])
        names.add(case["name"])
        expected, _ = compute(case)
        case["expected"] = expected
        if has_nonfinite(expected) or max_abs(expected) > 1e12:
            if "constant_row" not in case["name"] and "huge" not in case["name"]:
                raise SystemExit("unflagged non-finite/huge result in " + case["name"])
        lines.append(json.dumps(encode_nonfinite(case)))
    source = ("generated by tools/reference/generate_reference.py: the official "
              "logit-standardization-KD loss semantics (mdistiller kd/dkd/MLKD, CTKD GRL "
              "temperature) re-implemented from PAPER.md and verified against "
              "reference-sample.json; PyTorch %s, float64, seed %d. Cases whose name contains "
              "'constant_row' have a zero-spread student (or teacher) row under the Z-score: the "
              "student gradient there is scaled by 1/(1e-7 + std), up to ~1e8 (torch masks the "
              "std backward at std == 0); a consumer may require only a finite gradient and the "
              "exact loss there. Cases whose name contains 'huge' use logits of magnitude 1e4: "
              "raw DKD takes log(0) = -inf for an underflowed binary probability, and torch "
              "1.13's kl_div (xlogy form) turns 0 * -inf into NaN, so those values and gradients "
              "are NaN or Infinity." % (torch.__version__, SEED))
    write_file(out_path, source, lines, cases, ("zscore", "kd", "dkd", "kd-objective", "dkd-objective", "mlkd-objective", "ctkd"))


def write_file(out_path, source, lines, cases, kinds):
    """Writes the file (one case per line, the same bytes on every run) and prints the count of each kind."""
    head = json.dumps({"format": FORMAT, "source": source})
    text = head[:-1] + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    counts = {}
    for c in cases:
        counts[c["loss"]] = counts.get(c["loss"], 0) + 1
    print("wrote %d cases to %s (%d bytes)" % (len(cases), out_path, len(text.encode())))
    for k in kinds:
        print("  %-15s %d" % (k, counts.get(k, 0)))


def verify(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != FORMAT:
        print("unexpected format: %r" % doc.get("format"))
        return 1
    failed = 0
    for raw in doc["cases"]:
        case = decode_nonfinite(raw)
        got, extra = compute(case)
        errors = close(case["expected"], got)
        if "temperature" in extra and "/temperature=" in case["name"]:
            named = float(case["name"].split("/temperature=")[1].split("/")[0])
            errors += close(named, extra["temperature"], ".name.temperature")
        status = "ok  " if not errors else "FAIL"
        if errors:
            failed += 1
            print("%s %s: %s" % (status, case["name"], "; ".join(errors[:5])))
        else:
            print("%s %s" % (status, case["name"]))
    total = len(doc["cases"])
    print("%d/%d cases match (rel %g / abs %g)" % (total - failed, total, REL_TOL, ABS_TOL))
    return 1 if failed else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write the reference vectors to this JSON file")
    ap.add_argument("--verify", metavar="FILE", help="recompute FILE's cases and compare")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if not args.out and not args.verify:
        ap.error("give --out and/or --verify")
    rc = 0
    if args.out:
        generate(args.out)
    if args.verify:
        rc = verify(args.verify)
    return rc


if __name__ == "__main__":
    sys.exit(main())
