#!/usr/bin/env python3
"""LogitStd's t-SNE against scikit-learn's on the same features (docs/figures.md, docs/benchmarks.md).

Runs `logitstd plot tsne --runs RUN` (our Barnes-Hut t-SNE on RUN's analysis/student_test_features.npy)
and scikit-learn's TSNE with the same settings (its defaults: perplexity 30, early exaggeration 12,
1,000 iterations, learning rate "auto", PCA initialisation, Barnes-Hut with angle 0.5) on the same
file, then reports for both:
  - trustworthiness (sklearn.manifold.trustworthiness, 10 neighbours);
  - the KL divergence each implementation reports, and the exact KL(P || Q) of both embeddings against
    one P (scikit-learn's affinities) with Q over all pairs, so that neither side's approximation of
    the normaliser Z decides the comparison;
  - the wall time of the embedding (affinities and optimisation), with the thread count given.
scikit-learn is an optional peer (Debian's python3-sklearn), like the Bench's PyTorch.

    /usr/bin/python3 tools/tsne/compare.py --run runs/study/distill/kd.fmnist_wide_cnn_fmnist_small_cnn-s0 --threads 2
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="a run folder holding analysis/student_test_features.npy")
    p.add_argument("--threads", type=int, default=2, help="threads for both implementations (default 2)")
    p.add_argument("--logitstd", default="Shell.CSharp/bin/Release/net10.0/linux-x64/logitstd.dll",
                   help="the built logitstd.dll (run with dotnet)")
    p.add_argument("--seed", type=int, default=0, help="scikit-learn's random_state (its PCA is randomized)")
    p.add_argument("--json", help="also write the numbers to this file")
    return p.parse_args()


def exact_kl(P, Y):
    """KL(P || Q) with q_ij = (1 + |y_i - y_j|^2)^-1 / Z over all pairs i != j (blocks of 1,000 rows)."""
    import numpy as np
    Y = Y.astype(np.float64)
    n = Y.shape[0]
    sq = (Y * Y).sum(1)
    z = 0.0
    for start in range(0, n, 1000):
        block = Y[start:start + 1000]
        d2 = np.maximum(sq[start:start + 1000, None] + sq[None, :] - 2.0 * block @ Y.T, 0.0)
        z += (1.0 / (1.0 + d2)).sum() - block.shape[0]  # minus the diagonal's q = 1
    P = P.tocoo()
    d2 = ((Y[P.row] - Y[P.col]) ** 2).sum(1)
    q = 1.0 / (1.0 + d2) / z
    p = P.data.astype(np.float64)
    return float((p * np.log(p / q)).sum())


def ours(args, features_run):
    """Runs `logitstd plot tsne`; returns the student panel's embedding (rows in dataset order), its
    reported KL and seconds."""
    import numpy as np
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), DOTNET_PROCESSOR_COUNT=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tsne.png")
        done = subprocess.run(["dotnet", args.logitstd, "plot", "tsne", "--runs", features_run, "--out", out],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"logitstd plot tsne exited {done.returncode}:\n{done.stdout}{done.stderr}")
        # The run's own panel is the last one (a teacher panel, when the run saved teacher features, comes first).
        lines = [l for l in done.stdout.splitlines() if re.search(r": KL [0-9.]+ after \d+ iterations", l)]
        m = re.search(r"KL ([0-9.]+) after (\d+) iterations, ([0-9.]+) s", lines[-1])
        csv = sorted(glob.glob(os.path.join(tmp, "tsne_panel*.csv")))[-1]
        data = np.loadtxt(csv, delimiter=",", skiprows=1)
        order = np.argsort(data[:, 0])
        return data[order][:, 2:4], float(m.group(1)), float(m.group(3)), lines[-1]


def main():
    args = parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    try:
        import numpy as np
        from scipy.sparse import csr_matrix  # noqa: F401  (scikit-learn's P is a scipy sparse matrix)
        from sklearn.manifold import TSNE, trustworthiness
        from sklearn.manifold._t_sne import _joint_probabilities_nn
        from sklearn.neighbors import NearestNeighbors
    except ImportError as e:
        sys.exit(f"scikit-learn is not installed ({e}): apt-get install python3-sklearn")
    features_file = os.path.join(args.run, "analysis", "student_test_features.npy")
    if not os.path.exists(features_file):
        sys.exit(f"{features_file}: file not found (a run writes it when it finishes)")
    X = np.load(features_file).astype(np.float32)
    n = X.shape[0]
    print(f"features: {features_file}, {n} x {X.shape[1]} float32; {args.threads} threads")

    y_ours, kl_ours, seconds_ours, line = ours(args, args.run)
    print(f"ours:         {line}")

    # scikit-learn 1.5 renamed n_iter to max_iter; Debian 12 has 1.2.
    iterations = {"max_iter": 1000} if "max_iter" in TSNE().get_params() else {"n_iter": 1000}
    tsne = TSNE(n_components=2, perplexity=30.0, early_exaggeration=12.0, learning_rate="auto", init="pca",
                method="barnes_hut", angle=0.5, random_state=args.seed, **iterations)
    start = time.perf_counter()
    y_sk = tsne.fit_transform(X)
    seconds_sk = time.perf_counter() - start
    kl_sk = float(tsne.kl_divergence_)
    print(f"scikit-learn: KL {kl_sk:.4f} after {tsne.n_iter_} iterations, {seconds_sk:.1f} s")

    k = min(n - 1, int(3.0 * 30.0 + 1))
    graph = NearestNeighbors(n_neighbors=k).fit(X).kneighbors_graph(mode="distance")
    graph.data **= 2
    P = _joint_probabilities_nn(graph, 30.0, 0)
    exact_ours, exact_sk = exact_kl(P, y_ours), exact_kl(P, y_sk)
    tw_ours = trustworthiness(X, y_ours, n_neighbors=10)
    tw_sk = trustworthiness(X, y_sk, n_neighbors=10)

    rows = [
        ("trustworthiness (10 nn)", tw_ours, tw_sk, f"{tw_ours - tw_sk:+.4f}"),
        ("KL as reported", kl_ours, kl_sk, f"{100 * (kl_ours - kl_sk) / kl_sk:+.2f} %"),
        ("KL exact, one P", exact_ours, exact_sk, f"{100 * (exact_ours - exact_sk) / exact_sk:+.2f} %"),
        (f"seconds ({args.threads} threads)", seconds_ours, seconds_sk, f"ours / scikit-learn = {seconds_ours / seconds_sk:.2f}"),
    ]
    print()
    print("| | LogitStd | scikit-learn | difference |")
    print("|---|---|---|---|")
    for name, a, b, d in rows:
        digits = 1 if name.startswith("seconds") else 4
        print(f"| {name} | {a:.{digits}f} | {b:.{digits}f} | {d} |")
    within = abs(tw_ours - tw_sk) <= 0.01 and abs(exact_ours - exact_sk) / exact_sk <= 0.05
    print()
    print("within the issue's bounds (trustworthiness ±0.01, KL ±5 %):", "yes" if within else "NO")
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"features": features_file, "n": n, "d": int(X.shape[1]), "threads": args.threads,
                       "trustworthiness": {"ours": tw_ours, "sklearn": tw_sk},
                       "kl_reported": {"ours": kl_ours, "sklearn": kl_sk},
                       "kl_exact": {"ours": exact_ours, "sklearn": exact_sk},
                       "seconds": {"ours": seconds_ours, "sklearn": seconds_sk}}, f, indent=2)
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
