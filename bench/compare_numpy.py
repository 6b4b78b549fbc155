#!/usr/bin/env python3
"""numpy's and PyTorch's attention against ours, measured in the same run, one thread, d = 64.

Usage: python3 bench/compare_numpy.py [repeats]
Prints GFLOP/s (4·n²·d per attention) of numpy's softmax(QKᵀ/√d)V (fp64, max subtracted), of
PyTorch's scaled_dot_product_attention in fp64 and fp32 when torch is importable (else a note),
and of our full and blocked kernels (jobs/bench-kernel timer, default engine blas, fp64), medians
of the repeats, and the ratios ours / numpy and ours / PyTorch fp64.

PyTorch gets 4-D tensors, (batch, heads, length, dim) = (1, 1, n, d): that shape takes its CPU
flash kernel, which streams key blocks; a 3-D tensor takes its math path and materialises the
n × n score matrix.
"""
import os
import subprocess
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy loads OpenBLAS
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(1)
except ImportError:  # the peer is optional
    torch = None

D = 64
LENGTHS = (1024, 4096)


def numpy_attention(q, k, v):
    s = q @ k.T / np.sqrt(q.shape[1])
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s @ v


def torch_sdpa(q, k, v):
    """PyTorch's fused attention on (1, 1, n, d) tensors of q's dtype."""
    with torch.no_grad():
        return torch.nn.functional.scaled_dot_product_attention(q, k, v)


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
    print("one thread, d = %d, medians of %d; our engine: %s (fp64)" % (D, repeats, engine))
    if torch is None:
        print("(PyTorch is not importable here: its columns are left out)")
        print("| n | numpy fp64 GFLOP/s | ours full GFLOP/s | ours blocked GFLOP/s | full / numpy | blocked / full |")
        print("|---:|---:|---:|---:|---:|---:|")
    else:
        print("PyTorch %s, scaled_dot_product_attention on (1, 1, n, d) tensors" % torch.__version__)
        print("| n | numpy fp64 GFLOP/s | torch fp64 GFLOP/s | torch fp32 GFLOP/s | ours full GFLOP/s"
              " | ours blocked GFLOP/s | full / numpy | blocked / full | blocked / torch fp64 |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in LENGTHS:
        q, k, v = (rng.standard_normal((n, D)) for _ in range(3))
        flops = 4.0 * n * n * D
        npg = flops / median_seconds(lambda: numpy_attention(q, k, v), repeats) / 1e9
        full, blocked = ours[("full", n)], ours[("blocked", n)]
        if torch is None:
            print("| %d | %.1f | %.1f | %.1f | %.2f | %.2f |"
                  % (n, npg, full, blocked, full / npg, blocked / full))
            continue
        tg = {}
        for dtype in (torch.float64, torch.float32):
            tq, tk, tv = (torch.from_numpy(x).to(dtype).reshape(1, 1, n, D) for x in (q, k, v))
            tg[dtype] = flops / median_seconds(lambda: torch_sdpa(tq, tk, tv), repeats) / 1e9
        print("| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f |"
              % (n, npg, tg[torch.float64], tg[torch.float32], full, blocked, full / npg,
                 blocked / full, blocked / tg[torch.float64]))

if __name__ == "__main__":
    main()
