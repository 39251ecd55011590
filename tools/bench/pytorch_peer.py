"""PyTorch peer of `logitstd bench`: the same training steps, batch, threads, optimizer and losses.

Run with Debian's interpreter (python3-torch 1.13, libopenblas0-pthread installed):
  /usr/bin/python3 tools/bench/pytorch_peer.py [--quick] [--threads N] [--steps N] [--only NAME ...]
      [--channels-last] [--profile]

Prints one machine-readable line per configuration, with the keys `logitstd bench` prints:
  RESULT side=pytorch config=<name> threads=<n> steps=<n> img_s=<x> cpu_wall=<a> rss_start_mib=... rss_end_mib=...
The Cake target `Bench` pairs them with the LogitStd lines. A step is what mdistiller's trainer does
and what LogitStd's trainer does: forward, the teacher under no_grad in eval mode, the weighted loss
terms, loss.item() for the divergence check, zero_grad/backward/SGD step, the per-term and accuracy
read-backs. Data is a fixed synthetic batch on both sides (the loader is benchmarked separately).

The newer methods' losses (rows dist, nkd, wttm, rld and their _ls variants) are written from
/work/shared/METHODS.md, independently of Core.FSharp; tools/reference/generate_reference_newer.py
holds the float64 reference form of the same four losses.

The ResNets come from tools/parity/make_parity.py (the parity fixtures' definitions, whose
state-dict keys match the C# zoo); the Fashion-MNIST nets are written here from
Shell.CSharp/Models/FashionMnistNets.cs, with the same layers and initialisation.
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from make_parity import CifarResNet  # noqa: E402

BATCH = 64


# ------------------------------------------------------------------ models
def init_mdistiller(model):
    """Kaiming-normal fan-out convs, BN 1/0, linear layers left at PyTorch's default (FashionMnistNets.cs)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class WideCnn(nn.Module):
    """Teacher: conv 32/64/128 with BN, max-pool after each, 1152 → 768 → K."""

    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(*conv_bn_relu(1, 32), nn.MaxPool2d(2), *conv_bn_relu(32, 64), nn.MaxPool2d(2),
                                      *conv_bn_relu(64, 128), nn.MaxPool2d(2))
        self.fc1 = nn.Linear(128 * 3 * 3, 768)
        self.fc2 = nn.Linear(768, classes)
        init_mdistiller(self)

    def forward(self, x):
        f = F.relu(self.fc1(self.features(x).flatten(1)))
        return self.fc2(f), f


class SmallCnn(nn.Module):
    """Student: conv 16/32/64 with BN, max-pool after the first two, global average pool, linear head."""

    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(*conv_bn_relu(1, 16), nn.MaxPool2d(2), *conv_bn_relu(16, 32), nn.MaxPool2d(2),
                                      *conv_bn_relu(32, 64))
        self.fc = nn.Linear(64, classes)
        init_mdistiller(self)

    def forward(self, x):
        f = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.fc(f), f


class Mlp(nn.Module):
    """Student: 784 → 64 ReLU → K."""

    def __init__(self, classes):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 64)
        self.fc2 = nn.Linear(64, classes)

    def forward(self, x):
        f = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(f), f


MODELS = {
    "resnet8x4": (lambda k: init_mdistiller(CifarResNet(8, [32, 64, 128, 256], k)), (3, 32, 32)),
    "resnet32x4": (lambda k: init_mdistiller(CifarResNet(32, [32, 64, 128, 256], k)), (3, 32, 32)),
    "fmnist_wide_cnn": (WideCnn, (1, 28, 28)),
    "fmnist_small_cnn": (SmallCnn, (1, 28, 28)),
    "fmnist_mlp": (Mlp, (1, 28, 28)),
}


# ------------------------------------------------------------------ losses (Core.FSharp's formulas)
def zscore(x):
    """(x − mean) / (1e-7 + unbiased std) per row, the variance clamped at the dtype's tiny (Standardize.fs)."""
    c = x - x.mean(-1, keepdim=True)
    var = c.square().sum(-1, keepdim=True) / (x.shape[-1] - 1)
    return c / (var.clamp_min(torch.finfo(x.dtype).tiny).sqrt() + 1e-7)


def kd(student, teacher, t, standardize):
    """T² · mean_b Σ_k p_t (log p_t − log p_s) (Losses.Kd.fs)."""
    if standardize:
        student, teacher = zscore(student), zscore(teacher)
    log_ps = F.log_softmax(student / t, dim=1)
    pt = F.softmax(teacher / t, dim=1)
    return (F.kl_div(log_ps, pt, reduction="none").sum(1) * (t * t)).mean()


def dkd(student, teacher, y, alpha, beta, t, standardize):
    """α·TCKD + β·NCKD (Losses.Dkd.fs: binary target/non-target KL, non-target KL with the target masked by −1000)."""
    if standardize:
        student, teacher = zscore(student), zscore(teacher)
    b = student.shape[0]
    gt = torch.zeros_like(student).scatter_(1, y.unsqueeze(1), 1.0)
    other = 1.0 - gt
    pt = F.softmax(teacher / t, dim=1)
    pt2 = torch.cat([(pt * gt).sum(1, keepdim=True), (pt * other).sum(1, keepdim=True)], 1)
    log_p = F.log_softmax(student / t, dim=1)
    log_ps2 = torch.cat([log_p.gather(1, y.unsqueeze(1)), log_p.masked_fill(gt.bool(), float("-inf")).logsumexp(1, keepdim=True)], 1)
    tckd = F.kl_div(log_ps2, pt2, reduction="sum") * (t * t) / b
    nckd = F.kl_div(F.log_softmax(student / t - gt * 1000.0, dim=1), F.softmax(teacher / t - gt * 1000.0, dim=1), reduction="sum") * (t * t) / b
    return alpha * tckd + beta * nckd


def ctkd_kd(student, teacher, g, lam, t_start, t_end, standardize):
    """KD at CTKD's learned temperature T = t_start + t_end·σ(GRL(g, λ)) (Losses.Ctkd.fs; GRL as d + (g − d)·λ)."""
    d = g.detach()
    temp = (d + (g - d) * lam).sigmoid() * t_end + t_start
    if standardize:
        student, teacher = zscore(student), zscore(teacher)
    tt = temp.reshape(1, 1)
    per = F.kl_div(F.log_softmax(student / tt, dim=1), F.softmax(teacher / tt, dim=1), reduction="none").sum(1)
    return (per.mean() * temp.square()).reshape(())


def pearson_rows(a, b):
    """Row-wise Pearson: cosine of the row-centred rows, 1e-8 added to the product of the norms (DIST's official eps)."""
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-8)


def dist(student, teacher, beta, gamma, t, standardize):
    """DIST (METHODS.md): τ²·(β·(1 − mean_b ρ(p_s, p_t)) + γ·(1 − mean_k ρ(p_sᵀ, p_tᵀ))), p = softmax(·/τ), ρ Pearson."""
    if standardize:
        student, teacher = zscore(student), zscore(teacher)
    ps, pt = F.softmax(student / t, dim=1), F.softmax(teacher / t, dim=1)
    inter = 1.0 - pearson_rows(ps, pt).mean()
    intra = 1.0 - pearson_rows(ps.t(), pt.t()).mean()
    return (inter * beta + intra * gamma) * (t * t)


def nkd(student, teacher, y, t, gamma, standardize):
    """NKD (METHODS.md): −mean_b p_t[y]·log p_s[y] at T 1, plus −γ·T²·mean_b Σ softmax(t'/T)·log_softmax(s'/T) on the K−1 non-target logits."""
    if standardize:
        student, teacher = zscore(student), zscore(teacher)
    b, k = student.shape
    yy = y.unsqueeze(1)
    target = -(F.softmax(teacher, dim=1).gather(1, yy) * F.log_softmax(student, dim=1).gather(1, yy)).mean()
    keep = torch.ones_like(student, dtype=torch.bool).scatter_(1, yy, False)
    s_rest, t_rest = student[keep].view(b, k - 1), teacher[keep].view(b, k - 1)
    cross = (F.softmax(t_rest / t, dim=1) * F.log_softmax(s_rest / t, dim=1)).sum(1).mean()
    return target - cross * (gamma * t * t)


def wttm(student, teacher, gamma, standardize):
    """WTTM (METHODS.md): mean_b w_b·KL(q_b ‖ softmax(s)_b), q = softmax(γ·log p_t), w = Σ p_t^γ via logsumexp; no T²."""
    if standardize:
        student, teacher = zscore(student), zscore(teacher)
    scaled = F.log_softmax(teacher, dim=1) * gamma
    w = scaled.logsumexp(1).exp()
    kl = F.kl_div(F.log_softmax(student, dim=1), F.softmax(scaled, dim=1), reduction="none").sum(1)
    return (kl * w).mean()


def rld(student, teacher, y, alpha, beta, t, alpha_t, standardize):
    """RLD (METHODS.md): α·SCD + β·MCD. SCD: binary KL of the teacher's [p_t[argmax t], rest] against the student's [p_s[y], rest] at α_T, ×α_T²;
    MCD: KL at T with every class t_k ≥ t_y filled by −1e9 in both, ×T²; both batchmean. The student's binary log is taken in the log domain
    (as dkd above), so it stays finite where the official log of the sum underflows."""
    if standardize:
        student, teacher = zscore(student), zscore(teacher)
    b = student.shape[0]
    yy = y.unsqueeze(1)
    gt = torch.zeros_like(student, dtype=torch.bool).scatter_(1, yy, True)
    top = torch.zeros_like(teacher, dtype=torch.bool).scatter_(1, teacher.argmax(1, keepdim=True), True)
    pt = F.softmax(teacher / alpha_t, dim=1)
    pt2 = torch.cat([pt.masked_fill(~top, 0.0).sum(1, keepdim=True), pt.masked_fill(top, 0.0).sum(1, keepdim=True)], 1)
    log_p = F.log_softmax(student / alpha_t, dim=1)
    log_ps2 = torch.cat([log_p.gather(1, yy), log_p.masked_fill(gt, float("-inf")).logsumexp(1, keepdim=True)], 1)
    scd = F.kl_div(log_ps2, pt2, reduction="sum") * (alpha_t * alpha_t) / b
    ge = teacher >= teacher.gather(1, yy)
    mcd = F.kl_div(F.log_softmax((student / t).masked_fill(ge, -1e9), dim=1), F.softmax((teacher / t).masked_fill(ge, -1e9), dim=1),
                   reduction="sum") * (t * t) / b
    return scd * alpha + mcd * beta


def mlkd_masks(tw):
    with torch.no_grad():
        p = F.softmax(tw.detach(), dim=1)
        conf, class_conf = p.max(1)[0], p.sum(0)
        mask = conf.le(torch.quantile(conf.double(), 0.5).to(conf.dtype)).to(conf.dtype)
        class_mask = class_conf.le(torch.quantile(class_conf.double(), 0.5).to(conf.dtype)).to(conf.dtype)
    return mask, class_mask


def cc_loss(s, t, temp):
    ps, pt = F.softmax(s / temp, dim=1), F.softmax(t / temp, dim=1)
    return (pt.t().mm(pt) - ps.t().mm(ps)).square().sum() / s.shape[1]


def bc_loss(s, t, temp):
    ps, pt = F.softmax(s / temp, dim=1), F.softmax(t / temp, dim=1)
    return (pt.mm(pt.t()) - ps.mm(ps.t())).square().sum() / s.shape[0]


def mlkd_terms(sw, ss, tw, ts, y, tau, ce_w, kd_w, standardize):
    """MLKD's four weighted terms as in Losses.Mlkd.fs (and the official code, quirks included)."""
    temps = [tau, 3.0, 5.0, 2.0, 6.0]
    mask, class_mask = mlkd_masks(tw)
    inst = sum((kd(sw, tw, t, standardize) * mask).mean() for t in temps)
    inst = inst + sum(kd(ss, ts, t, standardize) for t in temps[:3])
    inst = inst + sum(kd(sw, tw, t, standardize) for t in temps[3:])
    cc = sum((cc_loss(sw, tw, t) * class_mask).mean() for t in temps)
    bc = sum((bc_loss(sw, tw, t) * mask).mean() for t in temps)
    return {"ce": (F.cross_entropy(sw, y) + F.cross_entropy(ss, y)) * ce_w, "kd": inst * kd_w, "cc": cc * kd_w, "bc": bc * kd_w}


# ------------------------------------------------------------------ configurations (BenchConfig.cs)
# name: (student, teacher, classes, objective, warmup, steps, quick warmup, quick steps, in quick)
CONFIGS = {
    "resnet8x4": ("resnet8x4", None, 100, "ce", 3, 10, 1, 2, True),
    "resnet32x4": ("resnet32x4", None, 100, "ce", 2, 3, 1, 1, False),
    "fmnist_wide_cnn": ("fmnist_wide_cnn", None, 10, "ce", 10, 60, 3, 10, True),
    "fmnist_small_cnn": ("fmnist_small_cnn", None, 10, "ce", 20, 200, 5, 40, True),
    "fmnist_mlp": ("fmnist_mlp", None, 10, "ce", 50, 1000, 20, 200, True),
    "kd": ("resnet8x4", "resnet32x4", 100, "kd", 2, 6, 1, 1, True),
    "kd_ls": ("resnet8x4", "resnet32x4", 100, "kd_ls", 2, 6, 1, 1, True),
    "mlkd": ("resnet8x4", "resnet32x4", 100, "mlkd", 1, 3, 1, 1, True),
    "dkd_ls": ("resnet8x4", "resnet32x4", 100, "dkd_ls", 2, 6, 1, 1, False),
    "ctkd_ls": ("resnet8x4", "resnet32x4", 100, "ctkd_ls", 2, 6, 1, 1, False),
    # the newer methods with and without LS (METHODS.md's settings; BenchConfig.cs's rows of the same names)
    "dist": ("resnet8x4", "resnet32x4", 100, "dist", 2, 6, 1, 1, False),
    "dist_ls": ("resnet8x4", "resnet32x4", 100, "dist_ls", 2, 6, 1, 1, False),
    "nkd": ("resnet8x4", "resnet32x4", 100, "nkd", 2, 6, 1, 1, False),
    "nkd_ls": ("resnet8x4", "resnet32x4", 100, "nkd_ls", 2, 6, 1, 1, False),
    "wttm": ("resnet8x4", "resnet32x4", 100, "wttm", 2, 6, 1, 1, False),
    "wttm_ls": ("resnet8x4", "resnet32x4", 100, "wttm_ls", 2, 6, 1, 1, False),
    "rld": ("resnet8x4", "resnet32x4", 100, "rld", 2, 6, 1, 1, False),
    "rld_ls": ("resnet8x4", "resnet32x4", 100, "rld_ls", 2, 6, 1, 1, False),
    # LogitStd's *_cached configurations take the step with the teacher cache warm; the peer always
    # runs the teacher online: the comparison is LogitStd's cached step against PyTorch's online one.
    "kd_cached": ("resnet8x4", "resnet32x4", 100, "kd", 2, 6, 1, 2, True),
    "kd_ls_cached": ("resnet8x4", "resnet32x4", 100, "kd_ls", 2, 6, 1, 2, True),
    "dkd_ls_cached": ("resnet8x4", "resnet32x4", 100, "dkd_ls", 2, 6, 1, 2, True),
    "ctkd_ls_cached": ("resnet8x4", "resnet32x4", 100, "ctkd_ls", 2, 6, 1, 2, True),
    "memory": ("fmnist_small_cnn", "fmnist_wide_cnn", 10, "kd_ls", 100, 2000, 50, 300, False),
    # LogitStd's *_cl configurations train the student channels-last (experiment.channels_last); the
    # peer runs the official code's default layout unless --channels-last is given.
    "resnet8x4_cl": ("resnet8x4", None, 100, "ce", 3, 10, 1, 2, True),
    "fmnist_wide_cnn_cl": ("fmnist_wide_cnn", None, 10, "ce", 10, 60, 3, 10, False),
    "fmnist_small_cnn_cl": ("fmnist_small_cnn", None, 10, "ce", 20, 200, 5, 40, True),
    "kd_ls_cl": ("resnet8x4", "resnet32x4", 100, "kd_ls", 2, 6, 1, 1, False),
}


# Epoch 1, as LogitStd's bench steps: DKD's and RLD's warm-up factor min(1/20, 1), CTKD's λ = cos-schedule(1).
DKD_WARMUP = min(1 / 20, 1.0)
RLD_WARMUP = min(1 / 20, 1.0)
CTKD_LAMBDA = (math.cos(math.pi * 1 / 10) + 1.0) * 0.5 * (0.0 - -1.0) + -1.0


def objective_terms(name, s, y, t, ss, ts, g=None):
    if name == "ce":
        return {"ce": F.cross_entropy(s, y)}
    if name == "kd":
        return {"ce": F.cross_entropy(s, y) * 0.1, "kd": kd(s, t, 4.0, False) * 0.9}
    if name == "kd_ls":
        return {"ce": F.cross_entropy(s, y) * 0.1, "kd": kd(s, t, 2.0, True) * 9.0}
    if name == "mlkd":
        return mlkd_terms(s, ss, t, ts, y, 4.0, 0.1, 0.9, False)
    if name == "dkd_ls":
        return {"ce": F.cross_entropy(s, y) * 1.0, "dkd": dkd(s, t, y, 9.0, 72.0, 2.0, True) * DKD_WARMUP}
    if name == "ctkd_ls":
        return {"ce": F.cross_entropy(s, y) * 0.1, "kd": ctkd_kd(s, t, g, CTKD_LAMBDA, 1.0, 20.0, True) * 9.0}
    if name == "dist":
        return {"ce": F.cross_entropy(s, y) * 1.0, "dist": dist(s, t, 1.0, 1.0, 4.0, False) * 2.0}
    if name == "dist_ls":
        return {"ce": F.cross_entropy(s, y) * 1.0, "dist": dist(s, t, 9.0, 9.0, 2.0, True) * 2.0}
    if name == "nkd":
        return {"ce": F.cross_entropy(s, y) * 1.0, "nkd": nkd(s, t, y, 3.0, 3.5, False) * 1.0}
    if name == "nkd_ls":
        return {"ce": F.cross_entropy(s, y) * 1.0, "nkd": nkd(s, t, y, 2.0, 3.5, True) * 9.0}
    if name == "wttm":
        return {"ce": F.cross_entropy(s, y) * 1.0, "wttm": wttm(s, t, 0.1, False) * 45.0}
    if name == "wttm_ls":
        return {"ce": F.cross_entropy(s, y) * 1.0, "wttm": wttm(s, t, 0.1, True) * 405.0}
    if name == "rld":
        return {"ce": F.cross_entropy(s, y) * 1.0, "rld": rld(s, t, y, 1.0, 8.0, 4.0, 4.0, False) * RLD_WARMUP}
    if name == "rld_ls":
        return {"ce": F.cross_entropy(s, y) * 1.0, "rld": rld(s, t, y, 9.0, 72.0, 2.0, 2.0, True) * RLD_WARMUP}
    raise ValueError(name)


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def measure(name, quick, steps_override, threads, channels_last=False, profile=False):
    student_name, teacher_name, classes, objective, warmup, steps, qwarm, qsteps, _ = CONFIGS[name]
    if quick:
        warmup, steps = qwarm, qsteps
    if steps_override:
        steps = steps_override
    torch.manual_seed(7)
    build, shape = MODELS[student_name]
    student = build(classes).train()
    teacher = MODELS[teacher_name][0](classes).eval() if teacher_name else None
    params = list(student.parameters())
    g_temp = torch.nn.Parameter(torch.ones(1)) if objective == "ctkd_ls" else None
    if g_temp is not None:
        params.append(g_temp)  # CTKD: the temperature trains with the student
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=False)
    g = torch.Generator().manual_seed(7)
    x = torch.randn((BATCH,) + shape, generator=g)
    xs = torch.randn((BATCH,) + shape, generator=g) if objective == "mlkd" else None
    y = torch.randint(0, classes, (BATCH,), generator=g)
    if channels_last:  # --channels-last: PyTorch's own channels-last training, for comparison
        cl = torch.channels_last
        student = student.to(memory_format=cl)
        teacher = teacher.to(memory_format=cl) if teacher is not None else None
        x = x.to(memory_format=cl)
        xs = xs.to(memory_format=cl) if xs is not None else None

    def step():
        logits, _ = student(x)
        t = ts = ss = None
        if teacher is not None:
            with torch.no_grad():
                t = teacher(x)[0]
                if xs is not None:
                    ts = teacher(xs)[0]
        if xs is not None:
            ss = student(xs)[0]
        terms = objective_terms(objective, logits, y, t, ss, ts, g_temp)
        total = sum(terms.values())
        value = total.item()
        if not math.isfinite(value):
            raise RuntimeError("loss became %r" % value)
        opt.zero_grad()
        total.backward()
        opt.step()
        for v in terms.values():
            v.item()
        logits.argmax(1).eq(y).sum().item()

    for _ in range(warmup):
        step()
    rss0, cpu0, t0 = rss_mib(), time.process_time(), time.perf_counter()
    for _ in range(steps):
        step()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rss1 = rss_mib()
    print("RESULT side=pytorch config=%s threads=%d steps=%d img_s=%.2f cpu_wall=%.2f rss_start_mib=%.1f rss_end_mib=%.1f rss_growth_pct=%.2f"
          % (name, threads, steps, steps * BATCH / wall, cpu / wall, rss0, rss1, 100 * (rss1 - rss0) / rss0), flush=True)
    if profile:
        # --profile: the same steps again under PyTorch's operator profiler, by self CPU time.
        with torch.autograd.profiler.profile() as p:
            for _ in range(steps):
                step()
        print("PROFILE %s: %d steps, self CPU time per operator" % (name, steps))
        print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=25), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--channels-last", action="store_true", help="models and batches in torch.channels_last (default: the official code's layout)")
    ap.add_argument("--profile", action="store_true", help="after each configuration's timed steps, the same steps under torch.autograd.profiler: a table by operator")
    a = ap.parse_args()
    unknown = [n for n in a.only if n not in CONFIGS]
    if unknown:
        ap.error("unknown configuration(s) %s; known: %s" % (", ".join(unknown), ", ".join(CONFIGS)))
    torch.set_num_threads(a.threads)
    names = a.only or [n for n, c in CONFIGS.items() if c[8] or not a.quick]
    print("pytorch peer: torch %s, batch %d, %d thread(s), %s run, %s layout" % (torch.__version__, BATCH, a.threads, "quick" if a.quick else "full",
                                                                               "channels-last" if a.channels_last else "default"))
    for n in names:
        measure(n, a.quick, a.steps, a.threads, a.channels_last, a.profile)


if __name__ == "__main__":
    main()
