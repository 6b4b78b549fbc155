#!/usr/bin/env python3
"""The job's global tokens from a boolean column against a plain numpy computation, fp64.

Usage: python3 bench/check_global_col.py OUTPUT_DIR [window] [heads]
(defaults 8, 2: docs/attention-kinds.md's command). OUTPUT_DIR is what

  jobs/attention -- --input sample-data/packed.jsonl --output OUTPUT_DIR --attention local \\
      --window 8 --global-col first --heads 2 --weights sample-data/weights.json

wrote. Per sequence and head: Q, K, V = x·W + b; query i sees key j when |i − j| <= window, or
row i or row j has first = true; softmax of the scaled scores (max subtracted) over those keys; heads
concatenated and projected by wo, bo. Prints the largest relative error |a − b| / max(1, |b|).
"""
import glob
import json
import os
import sys

import numpy as np


def read_json_lines(path_glob):
    rows = []
    for path in sorted(glob.glob(path_glob)):
        with open(path) as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def main():
    out_dir = sys.argv[1]
    window = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    heads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    w = {k: np.array(v, dtype=np.float64)
         for k, v in json.load(open(os.path.join(root, "sample-data", "weights.json"))).items()}
    tokens = read_json_lines(os.path.join(root, "sample-data", "packed.jsonl"))
    got = {(r["seq_id"], r["pos"]): np.array(r["out"]) for r in read_json_lines(os.path.join(out_dir, "*.json"))}
    assert len(got) == len(tokens), "one output row per token: %d rows, %d tokens" % (len(got), len(tokens))
    seqs, first = {}, {}
    for t in tokens:
        seqs.setdefault(t["seq_id"], {})[t["pos"]] = t["x"]
        first.setdefault(t["seq_id"], {})[t["pos"]] = bool(t["first"])
    worst = 0.0
    for sid, by_pos in seqs.items():
        n = len(by_pos)
        x = np.array([by_pos[p] for p in range(n)])
        q, k, v = x @ w["wq"] + w["bq"], x @ w["wk"] + w["bk"], x @ w["wv"] + w["bv"]
        g = np.array([first[sid][p] for p in range(n)])
        i, j = np.indices((n, n))
        allowed = (np.abs(i - j) <= window) | g[i] | g[j]
        dh = q.shape[1] // heads
        concat = np.zeros((n, v.shape[1]))
        for h in range(heads):
            c = slice(h * dh, (h + 1) * dh)
            s = q[:, c] @ k[:, c].T / np.sqrt(dh)
            s = np.where(allowed, s, -np.inf)
            s -= s.max(axis=1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(axis=1, keepdims=True)
            concat[:, c] = p @ v[:, c]
        want = concat @ w["wo"] + w["bo"]
        for pos in range(n):
            a = got[(sid, pos)]
            worst = max(worst, float(np.max(np.abs(a - want[pos]) / np.maximum(1.0, np.abs(want[pos])))))
    print("%d sequences, %d tokens: max relative error %.3g" % (len(seqs), len(tokens), worst))


if __name__ == "__main__":
    main()
