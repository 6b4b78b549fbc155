#!/usr/bin/env python3
"""The cold attention command against PyTorch and numpy on the same cores, in the same run.

Usage: python3 bench/e2e_peers.py [--length N] [--d-model D] [--repeats R]
                                  [--attention global|causal] [--precisions fp64,fp32]
                                  [--work DIR]

What a user times is the whole command, `jobs/attention ...` from start to exit (a fresh JVM,
Parquet in and out). This runs it cold R times over one synthetic sequence of N tokens
(`--strategy blocks`, local[2], 2 GiB driver), once per `--precision` asked for, then, on random
inputs of the same shape and in
this process, with 2 threads each:
  - PyTorch's scaled_dot_product_attention in fp64 and in fp32, on (1, 1, N, D) tensors (that
    shape takes its streaming CPU flash kernel; a 3-D tensor would take its math path and build
    the N x N score matrix), when torch is importable (else a note);
  - numpy (OpenBLAS) in fp64, exact softmax over all keys, 1,024 queries at a time (the full
    N x N matrix would not fit).
The peers time the attention alone, no reading or writing: the ratios say what the job costs
beyond the arithmetic, which is the comparison a user makes. Prints medians and ratios.
Defaults: N = 65536, D = 64, R = 3, global, both precisions. Never part of the test suite.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

THREADS = 2
os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)  # before numpy loads OpenBLAS
os.environ["OMP_NUM_THREADS"] = str(THREADS)
import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(THREADS)
except ImportError:  # the peer is optional
    torch = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return median(times)


def run(cmd):
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def numpy_attention(q, k, v, causal, rows=1024):
    out = np.empty_like(q)
    scale = 1.0 / np.sqrt(q.shape[1])
    for lo in range(0, q.shape[0], rows):
        hi = min(lo + rows, q.shape[0])
        keys = hi if causal else k.shape[0]
        s = q[lo:hi] @ k[:keys].T * scale
        if causal:
            s[np.triu_indices(hi - lo, lo + 1, keys)] = -np.inf
        s -= s.max(axis=1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=1, keepdims=True)
        out[lo:hi] = s @ v[:keys]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=65536)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--attention", choices=("global", "causal"), default="global")
    ap.add_argument("--precisions", default="fp64,fp32",
                    help="the job's --precision values to time, comma-separated (default: both)")
    ap.add_argument("--work", help="a directory for the table and the output (default: a temporary one)")
    a = ap.parse_args()
    n, d, causal = a.length, a.d_model, a.attention == "causal"
    work = a.work or tempfile.mkdtemp(prefix="sa-e2e-peers")
    table = os.path.join(work, "in.parquet")
    if not os.path.exists(table):
        run([os.path.join(ROOT, "jobs", "synthetic-tokens"), "--", "--output", table,
             "--length", str(n), "--d-model", str(d)])
    rows = []
    for i, precision in enumerate(a.precisions.split(",")):
        job = [os.path.join(ROOT, "jobs", "attention"), "--master", "local[2]",
               "--driver-memory", "2g", "--", "--input", table,
               "--output", os.path.join(work, "out"), "--overwrite", "--attention", a.attention,
               "--strategy", "blocks", "--precision", precision]
        if i == 0:
            run(job)  # one unmeasured run: builds the jar and its class archive if they are stale
        rows.append(("jobs/attention --precision %s, cold (Parquet in and out)" % precision,
                     timed(lambda: run(job), a.repeats)))
    jobs = rows[:]
    flops = 4.0 * n * n * d * (0.5 if causal else 1.0)
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((n, d)) for _ in range(3))
    if torch is None:
        print("(PyTorch is not importable here: its rows are left out)")
    else:
        for name, dtype in (("fp64", torch.float64), ("fp32", torch.float32)):
            tq, tk, tv = (torch.from_numpy(x).to(dtype).reshape(1, 1, n, d) for x in (q, k, v))

            def sdpa():
                with torch.no_grad():
                    torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)

            rows.append(("PyTorch %s SDPA %s, attention alone" % (torch.__version__, name),
                         timed(sdpa, a.repeats)))
    rows.append(("numpy fp64, attention alone (1,024 queries at a time)",
                 timed(lambda: numpy_attention(q, k, v, causal), a.repeats)))
    print("%s attention, one sequence of %d tokens, d = %d, %d threads / local[2]; medians of %d"
          % (a.attention, n, d, THREADS, a.repeats))
    print("| what | seconds | GFLOP/s | %s |" % " | ".join(
        "job %s / this" % name.split()[2] for name, _ in jobs))
    print("|---|---:|---:|" + "---:|" * len(jobs))
    for name, secs in rows:
        print("| %s | %.2f | %.1f | %s |" % (name, secs, flops / secs / 1e9, " | ".join(
            "%.2f" % (job / secs) for _, job in jobs)))
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as e:
        sys.exit("a command failed: %s\n%s" % (" ".join(e.cmd), e.stderr.decode(errors="replace")[-2000:]))
