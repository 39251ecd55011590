#!/usr/bin/python3
"""Generate reference vectors (``logitstd-reference/1``) for the newer losses DIST, NKD, WTTM, RLD.

What this implements
--------------------
The four losses of /work/shared/METHODS.md, written independently of LogitStd's F# code, as the
official code of each method computes them (facts checked against the official repositories:
hunto/image_classification_sota ``lib/models/losses/dist_kd.py``, yzd-v/cls_KD
``mmcls/models/dis_losses/nkd.py``, zkxufo/TTM ``distiller_zoo/wttm.py``, zju-SWJ/RLD
``mdistiller/distillers/RLD.py``), with the one LS rule: ``standardize`` true Z-scores both logit
matrices at the loss's entry (``normalize`` of generate_reference.py: ``(x - mean) / (1e-7 + std)``,
unbiased std, autograd through mean and std) and everything after it -- argmax, masks, the target
column -- is computed on the prepped logits. The official numerical behaviour is kept:

* dist: ``p = softmax(x / tau)`` for student and teacher; row-wise Pearson = cosine of the
  row-centred vectors with ``1e-8`` added to the *product* of the norms;
  ``beta * tau^2 * (1 - mean_b pearson(p_s, p_t)) + gamma * tau^2 * (1 - mean_k pearson(p_s^T, p_t^T))``.
  The intra term (per class, across the batch) couples the rows of a batch. At B = 1 the centred
  columns are exactly zero: each class's correlation is 0 / (0 + 1e-8) = 0, the intra term is
  exactly ``gamma * tau^2`` and contributes no gradient (torch masks the norm's backward at 0).
  A zero-spread probability row (constant logits) likewise correlates 0, but its gradient is not
  small: the numerator's gradient there is the teacher's centred row over 1e-8 (the norm's
  backward is 0), so a constant *student* row gets gradients ~1e6 even raw, up to ~5e14 with the
  Z-score's 1e7 on top (cases named ``constant_row``, and ``ties_b4_c2``, whose K = 2 integer rows
  include constant ones). Where the centred probabilities are tiny (spreads of 1e-6) the eps
  dominates and the correlation is ~0, not the correlation of the inputs: that is what the
  official code computes.
  (The snapshot of image_classification_sota consulted has ``DIST(beta, gamma)`` at temperature 1
  without tau; METHODS.md's tau form, softmax(x / tau) and tau^2 on both terms, is the later
  official form and is identical at tau = 1.)
* nkd: target term ``-mean_b(softmax(t)[y] * log_softmax(s)[y])`` at temperature 1, the teacher's
  probability a constant; non-target term on the K-1 logits left after dropping column y from both
  rows (the fixed mask of 2023-10-10), ``-gamma * T^2 * mean_b sum_k softmax(t'/T)_k *
  log_softmax(s'/T)_k`` (cross-entropy form, not KL: the value includes the teacher's entropy).
  At K = 2 the non-target term is exactly 0 (one logit left: log_softmax = 0).
* wttm: ``p = softmax(t) ** gamma`` (the official power of the softmax, not ``softmax(gamma * t)``
  in the log domain), ``w_b = sum_k p``, ``q = p / w``, ``mean_b w_b * sum_k kl_div(log_softmax(s),
  q)``: the student at temperature 1, no T^2. The official power form and the log-domain form of
  METHODS.md agree to within the file's tolerance on every case here (``--self-test`` checks it);
  they part only where a teacher probability underflows (huge logits), and there by amounts far
  below the tolerance.
* rld: SCD = binary KL (torch ``kl_div``, ``batchmean``) between the teacher's
  ``[p_t[argmax t], sum_{k != argmax t} p_t[k]]`` and the log of the student's
  ``[p_s[y], sum_{k != y} p_s[k]]`` at ``alpha_temperature``, times ``alpha_temperature^2``; the log
  is taken without clamping (a binary probability that underflows gives -inf, and torch 1.13's
  ``kl_div`` -- ``xlogy(p, p) - p * input`` -- then gives +inf where the teacher's entry is
  positive, NaN where it is 0: raw cases named ``huge``). ``argmax`` takes the first index on ties.
  MCD = KL over the classes left after masking every ``k`` with ``t[k] >= t[y]`` (label column and
  ties with it included) by ``masked_fill(-1e9)`` on ``s / T`` and ``t / T``, ``batchmean``, times
  ``T^2``. If every class is masked (the label is the teacher's minimum) both rows are uniform and
  MCD is 0. value = ``alpha * SCD + beta * MCD``, no warm-up factor.

``grad_student`` is d(value)/d(student logits) by float64 autograd. Inputs are the same kind of
deterministic, string-seeded normal logits rounded to 12 significant digits as
generate_reference.py's (its ``Inputs``/``make_pair`` families: constant rows, ``huge`` 1e4-scale
logits, ``tiny_spread``, ties, two classes, identical and affinely related student/teacher), plus
families for the label-dependent losses: a teacher whose top class is not the label, one whose top
is the label, ties at the teacher's top (the label the first, the second or neither of the tied
indices), the label at the teacher's minimum, a confident teacher, a 1e4-scale teacher.

How to run
----------
Debian's PyTorch (python3-torch 1.13) and numpy, nothing else::

    /usr/bin/python3 tools/reference/generate_reference_newer.py --out tests/reference/logitstd-reference-newer.json
    /usr/bin/python3 tools/reference/generate_reference_newer.py --verify tests/reference/logitstd-reference-newer.json
    /usr/bin/python3 tools/reference/generate_reference_newer.py --self-test

The output is deterministic (same bytes on every run). ``--verify FILE`` recomputes every case of
FILE (the four kinds here, any other kind with generate_reference.py's functions) and compares
values and gradients element-wise (relative error <= 1e-6 or absolute error <= 1e-9; non-finite
entries must be identical); it exits 1 on any mismatch. ``--self-test`` checks the losses against
closed forms, a plain numpy re-computation, finite differences and the official-sample-verified
kd/dkd of generate_reference.py; it exits 1 on any failed check.
"""

import argparse
import io
import json
import math
import os
import sys
from contextlib import redirect_stdout

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_reference as base  # noqa: E402  (the shared helpers and the older kinds)
from generate_reference import (  # noqa: E402
    DTYPE, FORMAT, SEED, Inputs, TEACHER_SCALE, STUDENT_SCALE, _cat_mask, _grad, _gt_mask,
    _other_mask, _t, _y, case_name, close, encode_nonfinite, has_nonfinite,
    make_pair, max_abs, prep, r12, shape_desc,
)

KINDS = ("dist", "nkd", "wttm", "rld")
DIST_EPS = 1e-8       # added to the product of the norms (official cosine_similarity)
RLD_MASK_FILL = -1e9  # official masked_fill value for MCD
ABS_TOL_SELF = 1e-12


# ----------------------------------------------------------------------------------------------
# The losses (official-code semantics, METHODS.md)
# ----------------------------------------------------------------------------------------------

def _pearson_rows(a, b):
    """Row-wise Pearson correlation: cosine of the row-centred rows, eps on the norms' product."""
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    return (a * b).sum(dim=1) / (a.norm(dim=1) * b.norm(dim=1) + DIST_EPS)


def dist_loss(student, teacher, beta, gamma, temperature, standardize):
    """DIST: beta * tau^2 * inter + gamma * tau^2 * intra, Pearson on the probabilities."""
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    p_s = F.softmax(s / temperature, dim=1)
    p_t = F.softmax(t / temperature, dim=1)
    inter = 1.0 - _pearson_rows(p_s, p_t).mean()
    intra = 1.0 - _pearson_rows(p_s.transpose(0, 1), p_t.transpose(0, 1)).mean()
    t2 = temperature ** 2
    return beta * (t2 * inter) + gamma * (t2 * intra)


def nkd_parts(student, teacher, target, temperature, gamma, standardize):
    """NKD's (target term, non-target term); the non-target term drops column y first."""
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    b, k = s.shape
    y = target.reshape(b, 1)
    log_p_s = F.log_softmax(s, dim=1)
    p_t_target = F.softmax(t, dim=1).gather(1, y).detach()
    target_term = -(p_t_target * log_p_s.gather(1, y)).mean()
    keep = torch.ones_like(s).scatter_(1, y, 0.0).bool()
    s_rest = s[keep].reshape(b, k - 1)
    t_rest = t[keep].reshape(b, k - 1)
    cross = (F.softmax(t_rest / temperature, dim=1)
             * F.log_softmax(s_rest / temperature, dim=1)).sum(dim=1).mean()
    non_target = -gamma * (temperature ** 2) * cross
    return target_term, non_target


def nkd_loss(student, teacher, target, temperature, gamma, standardize):
    target_term, non_target = nkd_parts(student, teacher, target, temperature, gamma, standardize)
    return target_term + non_target


def wttm_loss(student, teacher, gamma, standardize):
    """WTTM with the official power of the teacher's softmax (no temperature, no T^2)."""
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    powered = F.softmax(t, dim=1).pow(gamma)
    w = powered.sum(dim=1)
    q = powered / w.unsqueeze(1)
    kl = F.kl_div(F.log_softmax(s, dim=1), q, reduction="none").sum(dim=1)
    return (w * kl).mean()


def wttm_loss_logdomain(student, teacher, gamma, standardize):
    """The same loss in METHODS.md's log-domain form (for --self-test only)."""
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    scaled = gamma * F.log_softmax(t, dim=1)
    w = torch.logsumexp(scaled, dim=1).exp()
    q = F.softmax(scaled, dim=1)
    kl = F.kl_div(F.log_softmax(s, dim=1), q, reduction="none").sum(dim=1)
    return (w * kl).mean()


def rld_masks(teacher_prepped, target):
    """(teacher top one-hot, teacher other, MCD mask t[k] >= t[y]) on the prepped teacher."""
    top = teacher_prepped.argmax(dim=1)  # first index on ties
    label_value = teacher_prepped.gather(1, target.unsqueeze(1))
    return (_gt_mask(teacher_prepped, top), _other_mask(teacher_prepped, top),
            teacher_prepped >= label_value)


def rld_parts(student, teacher, target, temperature, alpha_temperature, standardize):
    """RLD's (SCD, MCD), each already times its temperature squared, batchmean."""
    s = prep(student, standardize)
    t = prep(teacher, standardize)
    b = s.shape[0]
    top_mask, top_other, ge_mask = rld_masks(t, target)
    at = alpha_temperature
    p_s = _cat_mask(F.softmax(s / at, dim=1), _gt_mask(s, target), _other_mask(s, target))
    p_t = _cat_mask(F.softmax(t / at, dim=1), top_mask, top_other)
    scd = F.kl_div(torch.log(p_s), p_t, reduction="sum") / b * (at ** 2)  # no clamp (official)
    masked_s = (s / temperature).masked_fill(ge_mask, RLD_MASK_FILL)
    masked_t = (t / temperature).masked_fill(ge_mask, RLD_MASK_FILL)
    mcd = F.kl_div(F.log_softmax(masked_s, dim=1), F.softmax(masked_t, dim=1),
                   reduction="sum") / b * (temperature ** 2)
    return scd, mcd


def rld_loss(student, teacher, target, alpha, beta, temperature, alpha_temperature, standardize):
    scd, mcd = rld_parts(student, teacher, target, temperature, alpha_temperature, standardize)
    return alpha * scd + beta * mcd


def evaluate(loss, s, t, target, p, ls):
    """The scalar value of one of the four kinds (s, t tensors; target a long tensor or None)."""
    if loss == "dist":
        return dist_loss(s, t, p["beta"], p["gamma"], p["temperature"], ls)
    if loss == "nkd":
        return nkd_loss(s, t, target, p["temperature"], p["gamma"], ls)
    if loss == "wttm":
        return wttm_loss(s, t, p["gamma"], ls)
    if loss == "rld":
        return rld_loss(s, t, target, p["alpha"], p["beta"], p["temperature"],
                        p["alpha_temperature"], ls)
    raise ValueError("unknown loss kind: %r" % loss)


_base_compute = base.compute


def compute(case):
    """``(expected, extra)`` for a case; other kinds go to generate_reference.compute."""
    if case["loss"] not in KINDS:
        return _base_compute(case)
    s = _t(case["student"], True)
    t = _t(case["teacher"])
    target = None if case["target"] is None else _y(case["target"])
    value = evaluate(case["loss"], s, t, target, case["params"], case["standardize"])
    value.backward()
    return {"value": value.item(), "grad_student": _grad(s)}, {}


# ----------------------------------------------------------------------------------------------
# Inputs: generate_reference.py's families plus the label-dependent ones
# ----------------------------------------------------------------------------------------------

def _argmax_first(row):
    return max(range(len(row)), key=lambda i: (row[i], -i))


def make_inputs(kind, desc, b, k):
    """Student, teacher, target for a named family (new families here, the rest in make_pair)."""
    family = desc.rsplit("_b", 1)[0]
    g = Inputs(kind + "/" + desc)
    if family == "teacher_top_not_label":
        s, t = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, TEACHER_SCALE)
        y = []
        for row in t:
            top = _argmax_first(row)
            y.append((top + 1 + g.rng.randrange(k - 1)) % k)
    elif family == "teacher_top_is_label":
        s, t = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, TEACHER_SCALE)
        y = [_argmax_first(row) for row in t]
    elif family == "label_teacher_min":
        s, t = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, TEACHER_SCALE)
        y = [min(range(k), key=lambda i: row[i]) for row in t]
    elif family == "teacher_top_ties":
        # two indices share the teacher's top value; the label is the first of them (rows 0 mod 3),
        # the second (1 mod 3), or a lower index tied with another lower one (2 mod 3, K >= 4)
        s, t = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, TEACHER_SCALE)
        y = []
        for i, row in enumerate(t):
            first, second = sorted(g.rng.sample(range(k), 2))
            row[first] = row[second] = r12(max(row) + 1.0)
            if i % 3 == 1:
                y.append(second)
            elif i % 3 == 2 and k >= 4:
                a, c = g.rng.sample([j for j in range(k) if j not in (first, second)], 2)
                row[c] = row[a]  # the label ties with another, lower column
                y.append(a)
            else:
                y.append(first)
    elif family == "confident_teacher":
        s, t = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, 25.0)
        y = g.target(b, k)
    elif family == "huge_teacher":
        s, t = g.normal(b, k, STUDENT_SCALE), g.normal(b, k, 1e4)
        y = g.target(b, k)
    else:
        return make_pair(kind, desc, b, k)
    return s, t, y


# ----------------------------------------------------------------------------------------------
# The case plan
# ----------------------------------------------------------------------------------------------

RANDOM_SHAPES = [(1, 2), (3, 2), (1, 10), (2, 10), (2, 3), (4, 10), (8, 10), (64, 10), (4, 100),
                 (16, 100), (2, 1000)]
EDGE_SETS = [
    ("constant_row_student", 4, 10), ("constant_row_student_exact", 3, 10),
    ("constant_row_all_student", 2, 5), ("constant_row_teacher", 4, 10),
    ("constant_row_both", 3, 100), ("huge", 4, 10), ("huge_student", 2, 100),
    ("tiny_spread", 4, 10), ("tiny_spread_offset", 3, 100), ("tiny_spread_student", 2, 10),
    ("ties", 8, 10), ("ties", 4, 2), ("identical", 4, 10), ("affine", 4, 10),
    ("mixed_scale", 8, 10), ("random", 32, 2),
]
RICH_SHAPES = {(1, 10), (4, 10)}          # random sets that get every preset
BIG_SHAPES = {(64, 10), (16, 100), (2, 1000)}  # random sets that get the first preset only

# Per kind: (parameter names, every preset, the default presets for the other random sets,
# the edge-set presets with the standardize flags each gets, extra input families)
BOTH, LS_ONLY, RAW_ONLY = (True, False), (True,), (False,)
DIST_PRESETS = [(1.0, 1.0, 4.0), (1.0, 1.0, 1.0), (9.0, 9.0, 2.0), (1.0, 0.0, 4.0),
                (0.0, 1.0, 4.0), (2.0, 1.0, 3.0)]
NKD_PRESETS = [(3.0, 3.5), (1.0, 1.5), (2.0, 3.5), (4.0, 1.0), (1.0, 0.0)]
WTTM_PRESETS = [(0.1,), (0.2,), (0.5,), (0.3,), (1.0,)]
RLD_PRESETS = [(1.0, 8.0, 4.0, 4.0), (9.0, 72.0, 2.0, 2.0), (1.0, 8.0, 4.0, 2.0),
               (1.0, 0.0, 4.0, 4.0), (0.0, 1.0, 4.0, 4.0)]
KIND_PLAN = {
    # official CIFAR tau 4 and the LS rule's tau 2 with weights x 9; ImageNet's tau 1 on small sets
    "dist": (("beta", "gamma", "temperature"), DIST_PRESETS, [DIST_PRESETS[0], DIST_PRESETS[2]],
             [(DIST_PRESETS[0], BOTH), (DIST_PRESETS[2], LS_ONLY)],
             [("confident_teacher", 4, 10), ("huge_teacher", 4, 10)]),
    # their CIFAR config T 3, gamma 3.5; ImageNet T 1, gamma 1.5; the LS rule's tau 2
    "nkd": (("temperature", "gamma"), NKD_PRESETS, NKD_PRESETS[:2],
            [(NKD_PRESETS[0], BOTH), (NKD_PRESETS[2], LS_ONLY)],
            [("teacher_top_not_label", 4, 10), ("teacher_top_is_label", 4, 10),
             ("confident_teacher", 4, 100), ("huge_teacher", 4, 10)]),
    "wttm": (("gamma",), WTTM_PRESETS, [WTTM_PRESETS[0], WTTM_PRESETS[2]],
             [(WTTM_PRESETS[0], BOTH), (WTTM_PRESETS[2], RAW_ONLY)],
             [("confident_teacher", 4, 10), ("huge_teacher", 4, 10), ("huge_teacher", 2, 100)]),
    # official alpha 1, beta 8, T = alpha_T = 4 and the official LS setting 9, 72, 2, 2
    "rld": (("alpha", "beta", "temperature", "alpha_temperature"), RLD_PRESETS, RLD_PRESETS[:2],
            [(RLD_PRESETS[0], BOTH), (RLD_PRESETS[1], LS_ONLY)],
            [("teacher_top_not_label", 4, 10), ("teacher_top_is_label", 4, 10),
             ("teacher_top_ties", 6, 10), ("teacher_top_ties", 3, 2), ("label_teacher_min", 3, 10),
             ("confident_teacher", 4, 100), ("huge_teacher", 4, 10)]),
}
# a third setting that the small random sets (B <= 2: DIST's batch coupling) also get
SMALL_EXTRA = {"dist": [DIST_PRESETS[1]], "nkd": [NKD_PRESETS[2]], "wttm": [WTTM_PRESETS[1]],
               "rld": [RLD_PRESETS[2]]}


def plan():
    cases = []
    for kind in KINDS:
        names, full, default, edge, extra_sets = KIND_PLAN[kind]
        sets = [("random", b, k) for b, k in RANDOM_SHAPES] + EDGE_SETS + extra_sets
        for fam, b, k in sets:
            desc = shape_desc(fam, b, k)
            s, t, y = make_inputs(kind, desc, b, k)
            if fam != "random":
                presets = edge
            elif (b, k) in RICH_SHAPES:
                presets = [(v, BOTH) for v in full]
            elif (b, k) in BIG_SHAPES:
                presets = [(default[0], BOTH)]
            elif b <= 2:
                presets = [(v, BOTH) for v in default + SMALL_EXTRA[kind]]
            else:
                presets = [(v, BOTH) for v in default]
            for values, flags in presets:
                prm = dict(zip(names, values))
                for ls in flags:
                    cases.append({
                        "name": case_name(kind, desc, prm, ls),
                        "loss": kind,
                        "standardize": ls,
                        "params": prm,
                        "student": s,
                        "teacher": t,
                        "target": y if kind in ("nkd", "rld") else None,
                    })
    return cases


def _has_constant_row(case):
    return any(len(set(row)) == 1 for row in case["student"] + case["teacher"])


def generate(out_path):
    cases = plan()
    names = set()
    lines = []
    flagged = []
    for case in cases:
        if case["name"] in names:
            raise SystemExit("duplicate case name: " + case["name"])
        names.add(case["name"])
        expected, _ = compute(case)
        case["expected"] = expected
        if has_nonfinite(expected) or max_abs(expected) > 1e12:
            named = "constant_row" in case["name"] or "huge" in case["name"]
            if not (named or _has_constant_row(case)):
                raise SystemExit("unexplained non-finite/huge result in " + case["name"])
            flagged.append(case["name"])
        lines.append(json.dumps(encode_nonfinite(case)))
    source = ("generated by tools/reference/generate_reference_newer.py: DIST, NKD, WTTM and RLD "
              "as their official code computes them (hunto/image_classification_sota dist_kd.py, "
              "yzd-v/cls_KD nkd.py with the fixed non-target mask, zkxufo/TTM wttm.py, "
              "zju-SWJ/RLD RLD.py), re-implemented from METHODS.md independently of LogitStd's "
              "F# code, with the LS rule (Z-score of both logit matrices at the loss's entry, "
              "argmax and masks on the prepped logits); PyTorch %s, float64, seed %d; inputs from "
              "generate_reference.py's families plus label-dependent ones. Cases whose name "
              "contains 'constant_row' have a zero-spread row under the Z-score: the student "
              "gradient there is scaled by 1/(1e-7 + std), up to ~1e8, and DIST's gradient at a "
              "constant student row is the teacher's centred probabilities over its eps 1e-8 "
              "(~1e6 raw, up to ~5e14 with the Z-score; also dist/ties_b4_c2, whose K = 2 "
              "integer rows include constant ones); a consumer may require only a finite "
              "gradient and the exact loss there. Cases whose name contains 'huge' "
              "use 1e4-scale logits: raw RLD takes log(0) = -inf for an underflowed binary "
              "student probability (official, unclamped) and torch 1.13's kl_div turns it into "
              "Infinity or NaN; those values and gradients are recorded as the official formula "
              "gives them." % (torch.__version__, SEED))
    base.write_file(out_path, source, lines, cases, KINDS)
    nonfinite = [n for n in flagged if has_nonfinite(
        next(c["expected"] for c in cases if c["name"] == n))]
    print("  %d cases with |entries| > 1e12 or non-finite entries (%d non-finite), each named "
          "constant_row or huge or holding a constant row:" % (len(flagged), len(nonfinite)))
    for n in flagged:
        print("    %s: %s" % ("non-finite" if n in nonfinite else "> 1e12    ", n))


def verify(path):
    """Recompute FILE's cases (any kind) and compare; generate_reference.verify with our compute."""
    saved = base.compute
    base.compute = compute
    try:
        return base.verify(path)
    finally:
        base.compute = saved


# ----------------------------------------------------------------------------------------------
# --self-test: closed forms and independent re-computations
# ----------------------------------------------------------------------------------------------

def _np_dist(s, t, beta, gamma, tau):
    """DIST in plain numpy, loops over rows and columns (for comparison only)."""
    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def corr(a, b):
        a, b = a - a.mean(), b - b.mean()
        return float(a @ b) / (math.sqrt(float(a @ a)) * math.sqrt(float(b @ b)) + 1e-8)
    ps, pt = softmax(np.asarray(s) / tau), softmax(np.asarray(t) / tau)
    inter = 1 - np.mean([corr(ps[i], pt[i]) for i in range(ps.shape[0])])
    intra = 1 - np.mean([corr(ps[:, j], pt[:, j]) for j in range(ps.shape[1])])
    return beta * tau * tau * inter + gamma * tau * tau * intra


def _np_nkd(s, t, y, tau, gamma):
    s, t = np.asarray(s), np.asarray(t)
    total_t, total_n = 0.0, 0.0
    for i in range(s.shape[0]):
        ls = s[i] - s[i].max() - math.log(np.exp(s[i] - s[i].max()).sum())
        pt = np.exp(t[i] - t[i].max()) / np.exp(t[i] - t[i].max()).sum()
        total_t += -pt[y[i]] * ls[y[i]]
        sr, tr = np.delete(s[i], y[i]) / tau, np.delete(t[i], y[i]) / tau
        lsr = sr - sr.max() - math.log(np.exp(sr - sr.max()).sum())
        ptr = np.exp(tr - tr.max()) / np.exp(tr - tr.max()).sum()
        total_n += -gamma * tau * tau * float(ptr @ lsr)
    return (total_t + total_n) / s.shape[0]


def _np_wttm(s, t, gamma):
    s, t = np.asarray(s), np.asarray(t)
    total = 0.0
    for i in range(s.shape[0]):
        ls = s[i] - s[i].max() - math.log(np.exp(s[i] - s[i].max()).sum())
        pt = np.exp(t[i] - t[i].max()) / np.exp(t[i] - t[i].max()).sum()
        p = pt ** gamma
        w, q = p.sum(), p / p.sum()
        total += w * float(np.sum(np.where(q > 0, q * (np.log(np.where(q > 0, q, 1.0)) - ls), 0.0)))
    return total / s.shape[0]


def _np_rld(s, t, y, alpha, beta, tau, atau):
    s, t = np.asarray(s), np.asarray(t)
    scd = mcd = 0.0
    for i in range(s.shape[0]):
        ps = np.exp(s[i] / atau - (s[i] / atau).max())
        ps /= ps.sum()
        pt = np.exp(t[i] / atau - (t[i] / atau).max())
        pt /= pt.sum()
        top = int(np.argmax(t[i]))  # numpy also takes the first index on ties
        bs = [ps[y[i]], float(np.delete(ps, y[i]).sum())]
        bt = [pt[top], float(np.delete(pt, top).sum())]
        scd += sum(q * (math.log(q) - math.log(p)) for q, p in zip(bt, bs) if q > 0)
        keep = t[i] < t[i][y[i]]
        if keep.any():
            zs, zt = s[i][keep] / tau, t[i][keep] / tau
            lsr = zs - zs.max() - math.log(np.exp(zs - zs.max()).sum())
            qt = np.exp(zt - zt.max()) / np.exp(zt - zt.max()).sum()
            mcd += float(np.sum(np.where(qt > 0, qt * (np.log(np.where(qt > 0, qt, 1.0)) - lsr), 0.0)))
    b = s.shape[0]
    return alpha * scd / b * atau * atau + beta * mcd / b * tau * tau


class SelfTest:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
            print("ok   " + what)
        else:
            self.failed += 1
            print("FAIL " + what)

    def near(self, ref, got, what, rel=1e-9, abs_=1e-12):
        errors = []
        r = np.asarray(ref, dtype=np.float64).ravel()
        g = np.asarray(got, dtype=np.float64).ravel()
        ok = r.shape == g.shape and bool(np.all(np.abs(r - g) <= np.maximum(abs_, rel * np.abs(r))))
        if not ok:
            errors.append("max |diff| %g" % (float(np.max(np.abs(r - g))) if r.shape == g.shape else -1))
        self.check(ok, what + ("" if ok else " (" + errors[0] + ")"))


def _value_grad(fn, s_rows):
    s = _t(s_rows, True)
    v = fn(s)
    v.backward()
    return v.item(), s.grad.numpy().copy()


def self_test():
    st = SelfTest()
    g = Inputs("self-test")
    s4, t4, y4 = g.normal(4, 10, 3.0), g.normal(4, 10, 4.0), g.target(4, 10)
    t_, y_ = _t(t4), _y(y4)

    # the shared helpers still reproduce the official sample (kd, dkd, Z-score, ...)
    sample = "/work/shared/reference-sample.json"
    if os.path.exists(sample):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = base.verify(sample)
        st.check(rc == 0, "generate_reference.py's losses match the official sample (%s)"
                 % out.getvalue().strip().splitlines()[-1])
    else:
        print("skip the official sample: %s not found" % sample)

    # DIST
    for ls in (False, True):
        # identical inputs: each correlation is n^2 / (n^2 + 1e-8), n the centred norm, so the loss
        # is the eps's share only (not exactly 0: ~1e-4 where a class's column barely varies)
        v, gr = _value_grad(lambda s: dist_loss(s, t_, 1.0, 1.0, 4.0, ls), t4)
        p_t = F.softmax(prep(t_, ls) / 4.0, dim=1).numpy()
        rows = ((p_t - p_t.mean(1, keepdims=True)) ** 2).sum(1)
        cols = ((p_t - p_t.mean(0, keepdims=True)) ** 2).sum(0)
        closed = 16.0 * (np.mean(1e-8 / (rows + 1e-8)) + np.mean(1e-8 / (cols + 1e-8)))
        st.near(closed, v, "dist: identical student and teacher give the eps share only, %.3g (%s)"
                % (v, "ls" if ls else "raw"), rel=1e-6)
        st.check(np.abs(gr).max() < 1e-3, "dist: identical inputs, gradient ~0 (max %.2g)" % np.abs(gr).max())
    v, gr = _value_grad(lambda s: dist_loss(s, _t(t4[:1]), 0.0, 1.0, 1.0, False), s4[:1])
    st.check(v == 1.0 and not gr.any(), "dist: B = 1 intra term is exactly gamma * tau^2 = 1, zero gradient")
    v, gr = _value_grad(lambda s: dist_loss(s, _t(t4[:1]), 1.0, 1.0, 4.0, False), s4[:1])
    st.near(_np_dist(s4[:1], t4[:1], 1.0, 1.0, 4.0), v, "dist: B = 1 value equals numpy")
    st.check(np.isfinite(gr).all(), "dist: B = 1 gradient finite")
    for (be, ga, tau), ls in [((1.0, 1.0, 4.0), False), ((9.0, 9.0, 2.0), True), ((1.0, 1.0, 1.0), False)]:
        v = dist_loss(_t(s4), t_, be, ga, tau, ls).item()
        si, ti = (base.normalize(_t(s4)).tolist(), base.normalize(t_).tolist()) if ls else (s4, t4)
        st.near(_np_dist(si, ti, be, ga, tau), v, "dist: equals the numpy loops (beta %g gamma %g tau %g %s)"
                % (be, ga, tau, "ls" if ls else "raw"))
    const = [[0.7] * 10] + s4[1:]
    v_c = dist_loss(_t(const), t_, 1.0, 0.0, 4.0, False).item()
    v_3 = dist_loss(_t(s4[1:]), _t(t4[1:]), 1.0, 0.0, 4.0, False).item()
    st.near((v_3 * 3 + 16.0) / 4, v_c, "dist: a constant student row correlates 0 (its inter share is tau^2)")

    # NKD
    s2, t2, y2 = g.normal(5, 2, 3.0), g.normal(5, 2, 4.0), g.target(5, 2)
    for ls in (False, True):
        tt, nt = nkd_parts(_t(s2), _t(t2), _y(y2), 3.0, 3.5, ls)
        st.check(nt.item() == 0.0, "nkd: K = 2 non-target term is exactly 0 (%s)" % ("ls" if ls else "raw"))
    lp = F.log_softmax(_t(s2), dim=1).gather(1, _y(y2).unsqueeze(1))
    pt = F.softmax(_t(t2), dim=1).gather(1, _y(y2).unsqueeze(1))
    st.near(-(pt * lp).mean().item(), nkd_loss(_t(s2), _t(t2), _y(y2), 3.0, 3.5, False).item(),
            "nkd: K = 2 value is -mean(p_t[y] log p_s[y])")
    for tau, ga in ((3.0, 3.5), (1.0, 1.5)):
        st.near(_np_nkd(s4, t4, y4, tau, ga), nkd_loss(_t(s4), t_, y_, tau, ga, False).item(),
                "nkd: equals the numpy loops (T %g gamma %g)" % (tau, ga))
    v, gr = _value_grad(lambda s: nkd_loss(s, t_, y_, 3.0, 0.0, False), s4)
    p = F.softmax(_t(s4), dim=1).numpy()
    pty = F.softmax(t_, dim=1).gather(1, y_.unsqueeze(1)).numpy()
    onehot = np.eye(10)[y4]
    st.near(pty * (p - onehot) / 4, gr, "nkd: gamma 0 gradient is p_t[y] (p_s - onehot(y)) / B")
    # the non-target gradient is KL's: gamma T (softmax(s'/T) - softmax(t'/T)) / B on the kept columns
    _, grn = _value_grad(lambda s: nkd_parts(s, t_, y_, 3.0, 3.5, False)[1], s4)
    keep = onehot == 0
    sr = _t(s4)[torch.from_numpy(keep)].reshape(4, 9)
    trr = t_[torch.from_numpy(keep)].reshape(4, 9)
    closed = 3.5 * 3.0 * (F.softmax(sr / 3.0, dim=1) - F.softmax(trr / 3.0, dim=1)).numpy() / 4
    st.near(closed, grn[keep].reshape(4, 9), "nkd: non-target gradient is gamma T (q_s' - q_t') / B")
    st.check(not grn[~keep].any(), "nkd: non-target term gives the label column no gradient")

    # WTTM
    for ls in (False, True):
        for ss, tt_, what in ((s4, t4, "random"), (g.normal(3, 100, 3.0), g.normal(3, 100, 25.0), "confident")):
            v1, g1 = _value_grad(lambda s: wttm_loss(s, _t(tt_), 1.0, ls), ss)
            v2, g2 = _value_grad(lambda s: base.kd_loss(s, _t(tt_), 1.0, ls), ss)
            st.near(v2, v1, "wttm: gamma 1 equals KD at T 1 (no T^2, w = 1), value, %s %s" % (what, "ls" if ls else "raw"))
            st.near(g2, g1, "wttm: gamma 1 equals KD at T 1, gradient, %s %s" % (what, "ls" if ls else "raw"))
    for ga in (0.1, 0.2, 0.5):
        st.near(_np_wttm(s4, t4, ga), wttm_loss(_t(s4), t_, ga, False).item(),
                "wttm: equals the numpy loops (gamma %g)" % ga)
    tc = [[1.5] * 10] * 2
    sc = s4[:2]
    lp = F.log_softmax(_t(sc), dim=1)
    klu = (-(math.log(10)) - lp).mean(dim=1)  # KL(u || p_s) per row
    st.near((10 ** 0.9 * klu).mean().item(), wttm_loss(_t(sc), _t(tc), 0.1, False).item(),
            "wttm: a uniform teacher has w = K^(1 - gamma), q uniform")
    worst, worst_abs = 0.0, 0.0
    for case in plan():
        if case["loss"] != "wttm":
            continue
        a = compute(case)[0]
        s = _t(case["student"], True)
        v = wttm_loss_logdomain(s, _t(case["teacher"]), case["params"]["gamma"], case["standardize"])
        v.backward()
        b_ = {"value": v.item(), "grad_student": _grad(s)}
        errs = close(a, b_)
        diff = abs(a["value"] - b_["value"])
        worst_abs = max(worst_abs, diff)
        if diff > ABS_TOL_SELF:
            worst = max(worst, diff / abs(a["value"]))
        if errs:
            st.check(False, "wttm: official power form vs log-domain form in %s: %s" % (case["name"], errs[:2]))
    st.check(True, "wttm: official power form and the log-domain form agree within the file's "
             "tolerance on every wttm case (value differences: largest absolute %.2g, largest relative "
             "among those above 1e-12 %.2g)" % (worst_abs, worst))

    # RLD
    s_top, t_top, y_top = make_inputs("self-test", "teacher_top_is_label_b4_c10", 4, 10)
    for ls in (False, True):
        _, _, ge = rld_masks(prep(_t(t_top), ls), _y(y_top))
        st.check(ge.sum(dim=1).tolist() == [1] * 4 and ge.gather(1, _y(y_top).unsqueeze(1)).all().item(),
                 "rld: teacher top = label masks only the label column in MCD (%s)" % ("ls" if ls else "raw"))
        for a, be, tau in ((1.0, 8.0, 4.0), (9.0, 72.0, 2.0)):
            v1, g1 = _value_grad(lambda s: rld_loss(s, _t(t_top), _y(y_top), a, be, tau, tau, ls), s_top)
            v2, g2 = _value_grad(lambda s: base.dkd_loss(s, _t(t_top), _y(y_top), a, be, tau, ls), s_top)
            st.near(v2, v1, "rld: top = label, alpha_T = T: equals DKD (alpha %g beta %g T %g %s), value"
                    % (a, be, tau, "ls" if ls else "raw"))
            st.near(g2, g1, "rld: top = label, alpha_T = T: equals DKD, gradient")
    s_min, t_min, y_min = make_inputs("self-test", "label_teacher_min_b3_c10", 3, 10)
    s_min = _t(s_min, True)
    _, mcd = rld_parts(s_min, _t(t_min), _y(y_min), 4.0, 4.0, False)
    mcd.backward()
    # both rows all -1e9: uniform, KL 0 up to the rounding of -1e9 + log K (~1e-14), no gradient
    st.check(abs(mcd.item()) < 1e-12 and not s_min.grad.any(),
             "rld: label at the teacher's minimum masks every class, MCD = %.2g ~ 0, zero gradient"
             % mcd.item())
    tie = _t([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
    top, _, ge = rld_masks(tie, _y([2, 1]))
    st.check(top.float().argmax(dim=1).tolist() == [1, 0], "rld: argmax takes the first tied index")
    st.check(ge.tolist() == [[False, True, True, False], [True] * 4], "rld: the MCD mask uses >= (ties masked)")
    for (a, be, tau, at), fam in (((1.0, 8.0, 4.0, 4.0), "teacher_top_not_label_b4_c10"),
                                  ((1.0, 8.0, 4.0, 2.0), "teacher_top_ties_b6_c10"),
                                  ((9.0, 72.0, 2.0, 2.0), "random_b8_c10")):
        b, k = int(fam.split("_b")[1].split("_c")[0]), int(fam.split("_c")[1])
        ss, tt_, yy = make_inputs("self-test", fam, b, k)
        st.near(_np_rld(ss, tt_, yy, a, be, tau, at),
                rld_loss(_t(ss), _t(tt_), _y(yy), a, be, tau, at, False).item(),
                "rld: equals the numpy loops (%s, alpha %g beta %g T %g alpha_T %g)" % (fam, a, be, tau, at))
    # the student's binary "rest" is a sum over the other classes: at 1e4 scale both entries can be
    # 0 or 1 exactly, and the unclamped log gives -inf: the official value is then not finite
    sh, th, yh = make_pair("rld", "huge_b4_c10", 4, 10)
    v = rld_loss(_t(sh), _t(th), _y(yh), 1.0, 8.0, 4.0, 4.0, False).item()
    st.check(not math.isfinite(v), "rld: raw 1e4-scale logits give a non-finite official value (%r)" % v)

    # LS: standardize=True is the loss of the Z-scored logits (masks on the prepped logits)
    z_s, z_t = base.normalize(_t(s4)), base.normalize(t_)
    for kind, p in (("dist", {"beta": 9.0, "gamma": 9.0, "temperature": 2.0}),
                    ("nkd", {"temperature": 2.0, "gamma": 3.5}), ("wttm", {"gamma": 0.1}),
                    ("rld", {"alpha": 9.0, "beta": 72.0, "temperature": 2.0, "alpha_temperature": 2.0})):
        st.near(evaluate(kind, z_s, z_t, y_, p, False).item(), evaluate(kind, _t(s4), t_, y_, p, True).item(),
                "%s: standardize = loss of the Z-scored logits" % kind)

    # gradients: autograd against finite differences, every kind, raw and LS
    torch.manual_seed(0)
    for kind, p in (("dist", {"beta": 1.0, "gamma": 1.0, "temperature": 4.0}),
                    ("nkd", {"temperature": 3.0, "gamma": 3.5}), ("wttm", {"gamma": 0.2}),
                    ("rld", {"alpha": 1.0, "beta": 8.0, "temperature": 4.0, "alpha_temperature": 2.0})):
        for ls in (False, True):
            s = (torch.randn(3, 6, dtype=DTYPE) * 2).requires_grad_(True)
            t = torch.randn(3, 6, dtype=DTYPE) * 3
            y = torch.tensor([0, 3, 5])
            ok = torch.autograd.gradcheck(lambda x: evaluate(kind, x, t, y, p, ls), (s,), eps=1e-6,
                                          atol=1e-7, rtol=1e-5, raise_exception=False)
            st.check(ok, "%s: autograd gradient matches finite differences (%s)" % (kind, "ls" if ls else "raw"))

    print("%d checks passed, %d failed" % (st.passed, st.failed))
    return 1 if st.failed else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write the reference vectors to this JSON file")
    ap.add_argument("--verify", metavar="FILE", help="recompute FILE's cases and compare")
    ap.add_argument("--self-test", action="store_true",
                    help="check the losses against closed forms and re-computations")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if not (args.out or args.verify or args.self_test):
        ap.error("give --out, --verify and/or --self-test")
    rc = 0
    if args.out:
        generate(args.out)
    if args.verify:
        rc |= verify(args.verify)
    if args.self_test:
        rc |= self_test()
    return rc


if __name__ == "__main__":
    sys.exit(main())
