"""oneDNN's primitives, side by side: where a training step's convolution time goes in each framework.

Both libtorch 2.10 (TorchSharp) and Debian's PyTorch 1.13 run their CPU convolutions, and the reorders
between PyTorch's layout and oneDNN's blocked ones, in oneDNN; its verbose mode prints every
primitive it executes with the time it took. Record the same bench configuration on both sides,
then compare (plain python3, no torch needed):

  ONEDNN_VERBOSE=profile_exec logitstd bench --only fmnist_small_cnn --threads 2 --steps 50 > ours.txt
  DNNL_VERBOSE=1 /usr/bin/python3 tools/bench/pytorch_peer.py --only fmnist_small_cnn --threads 2 --steps 50 > peer.txt
  python3 tools/bench/onednn_profile.py ours.txt peer.txt

Prints, per (primitive, propagation kind, problem shape), the executions and milliseconds on each
side (warm-up steps included; both sides take the same number), largest first, and the totals.
oneDNN 3 (libtorch 2.10) writes `onednn_verbose,v1,primitive,exec,...`, oneDNN 2.6 (PyTorch 1.13)
`onednn_verbose,exec,...`; both end with `...,problem,time_ms`.
"""
import collections
import sys


def primitives(path):
    """(primitive, prop_kind, problem) -> [count, milliseconds] of one verbose log."""
    totals = collections.defaultdict(lambda: [0, 0.0])
    with open(path, errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split(",")
            if not fields[0].endswith("_verbose") or "exec" not in fields[:4]:
                continue
            rest = fields[fields.index("exec") + 1:]   # cpu, primitive, implementation, prop_kind, ..., problem, time
            try:
                ms = float(rest[-1])
            except ValueError:
                continue
            key = (rest[1], rest[3], rest[-2])
            totals[key][0] += 1
            totals[key][1] += ms
    return totals


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: onednn_profile.py LOGITSTD_VERBOSE_LOG PYTORCH_VERBOSE_LOG")
    ours, peer = primitives(sys.argv[1]), primitives(sys.argv[2])
    if not ours or not peer:
        sys.exit("no oneDNN exec lines in %s" % (sys.argv[1] if not ours else sys.argv[2]))
    keys = sorted(set(ours) | set(peer), key=lambda k: -(ours.get(k, [0, 0])[1] + peer.get(k, [0, 0])[1]))
    print("%-12s %-17s %-58s %7s %10s %7s %10s" % ("primitive", "propagation", "problem", "n ours", "ms ours", "n peer", "ms peer"))
    for k in keys:
        a, b = ours.get(k, [0, 0.0]), peer.get(k, [0, 0.0])
        print("%-12s %-17s %-58s %7d %10.1f %7d %10.1f" % (k[0], k[1], k[2][:58], a[0], a[1], b[0], b[1]))
    print("total: LogitStd %.1f ms in %d primitives, PyTorch %.1f ms in %d" % (
        sum(v[1] for v in ours.values()), sum(v[0] for v in ours.values()),
        sum(v[1] for v in peer.values()), sum(v[0] for v in peer.values())))


if __name__ == "__main__":
    main()
