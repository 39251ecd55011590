"""The small CNN's non-convolution operators, one at a time, in PyTorch: the peer half of
tools/bench/op_profile.fsx (same shapes, same order, same repetitions; 2 threads).

  /usr/bin/python3 tools/bench/op_profile.py        # then: dotnet fsi tools/bench/op_profile.fsx

Each line: the operator (forward, or forward + backward through autograd.grad) on fmnist_small_cnn's
activation shapes at batch 64, microseconds per call after 10 untimed calls.
"""
import time

import torch
import torch.nn.functional as F


def bench(name, f, n=200):
    for _ in range(10):
        f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    print("%-40s %9.1f us" % (name, (time.perf_counter() - t) / n * 1e6), flush=True)


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    for (c, h) in [(16, 28), (32, 14), (64, 7)]:
        x = torch.randn(64, c, h, h, requires_grad=True)
        w = torch.ones(c, requires_grad=True)
        b = torch.zeros(c, requires_grad=True)
        rm, rv = torch.zeros(c), torch.ones(c)
        g = torch.randn(64, c, h, h)
        bench(f"bn fwd {c}x{h}", lambda: F.batch_norm(x.detach(), rm, rv, w.detach(), b.detach(), True, 0.1, 1e-5))
        bench(f"bn fwd+bwd {c}x{h}", lambda: torch.autograd.grad(F.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5), [x, w, b], g))
        bench(f"relu {c}x{h}", lambda: F.relu(x.detach()))
        bench(f"relu fwd+bwd {c}x{h}", lambda: torch.autograd.grad(F.relu(x), [x], g))
        if h > 7:
            gp = torch.randn(64, c, h // 2, h // 2)
            bench(f"maxpool fwd {c}x{h}", lambda: F.max_pool2d(x.detach(), 2))
            bench(f"maxpool fwd+bwd {c}x{h}", lambda: torch.autograd.grad(F.max_pool2d(x, 2), [x], gp))


if __name__ == "__main__":
    main()
