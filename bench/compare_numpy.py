#!/usr/bin/env python3
"""numpy's attention against ours, measured in the same run, one thread, fp64, d = 64.

Usage: python3 bench/compare_numpy.py [repeats]
Prints GFLOP/s (4·n²·d per attention) of numpy's softmax(QKᵀ/√d)V (max subtracted) and of our
full and blocked kernels (jobs/bench-kernel timer, default engine blas), medians of the repeats,
and the ratios ours / numpy.
"""
import os
import subprocess
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy loads OpenBLAS
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
import numpy as np  # noqa: E402

D = 64
LENGTHS = (1024, 4096)


def numpy_attention(q, k, v):
    s = q @ k.T / np.sqrt(q.shape[1])
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s @ v


def median_seconds(fn, repeats):
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [os.path.join(root, "jobs", "bench-kernel"), "timer", str(repeats)] + [str(n) for n in LENGTHS],
        check=True, capture_output=True, text=True).stdout
    ours = {}
    for line in out.splitlines():
        if line.startswith("engine"):
            engine = line.split()[1]
            continue
        parts = dict(p.split("=") for p in line.split()[1:])
        ours[(line.split()[0], int(parts["n"]))] = float(parts["gflops"])
    rng = np.random.default_rng(1)
    print("one thread, fp64, d = %d, medians of %d; our engine: %s" % (D, repeats, engine))
    print("| n | numpy GFLOP/s | ours full GFLOP/s | ours blocked GFLOP/s | full / numpy | blocked / full |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in LENGTHS:
        q, k, v = (rng.standard_normal((n, D)) for _ in range(3))
        secs = median_seconds(lambda: numpy_attention(q, k, v), repeats)
        npg = 4.0 * n * n * D / secs / 1e9
        full, blocked = ours[("full", n)], ours[("blocked", n)]
        print("| %d | %.1f | %.1f | %.1f | %.2f | %.2f |" % (n, npg, full, blocked, full / npg, blocked / full))


if __name__ == "__main__":
    main()
