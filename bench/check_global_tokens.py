#!/usr/bin/env python3
"""The job's global tokens (Longformer) against a plain numpy computation, fp64.

Usage: python3 bench/check_global_tokens.py OUTPUT_DIR [window] [N | COLUMN] [heads] [SEGMENT_COLUMN]
(defaults 8, 4, 2, none: docs/attention-kinds.md's commands). OUTPUT_DIR is what

  jobs/attention -- --input sample-data/tokens.jsonl --output OUTPUT_DIR --attention local \\
      --window 8 --global-tokens 4 --heads 2 --weights sample-data/weights.json

wrote, or with a column name for N (`first`), what the same command over sample-data/packed.jsonl
with `--global-col first` in place of `--global-tokens 4` wrote (and with SEGMENT_COLUMN, say
`doc`, what it wrote with `--segment-col doc` too). Per sequence and head:
Q, K, V = x·W + b; query i sees key j when |i − j| <= window, or i or j is global (i < N, or the
row's COLUMN is true), and, with SEGMENT_COLUMN, i and j have the same value of it; softmax of the scaled scores (max subtracted) over those keys; heads
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
    g_arg = sys.argv[3] if len(sys.argv) > 3 else "4"
    column = None if g_arg.isdigit() else g_arg
    heads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    segment = sys.argv[5] if len(sys.argv) > 5 else None
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    w = {k: np.array(v, dtype=np.float64)
         for k, v in json.load(open(os.path.join(root, "sample-data", "weights.json"))).items()}
    table = "tokens.jsonl" if column is None else "packed.jsonl"
    tokens = read_json_lines(os.path.join(root, "sample-data", table))
    got = {(r["seq_id"], r["pos"]): np.array(r["out"]) for r in read_json_lines(os.path.join(out_dir, "*.json"))}
    assert len(got) == len(tokens), "one output row per token: %d rows, %d tokens" % (len(got), len(tokens))
    seqs, is_global, doc = {}, {}, {}
    for t in tokens:
        seqs.setdefault(t["seq_id"], {})[t["pos"]] = t["x"]
        doc.setdefault(t["seq_id"], {})[t["pos"]] = t[segment] if segment else 0
        g = t["pos"] < int(g_arg) if column is None else bool(t[column])
        is_global.setdefault(t["seq_id"], {})[t["pos"]] = g
    worst = 0.0
    for sid, by_pos in seqs.items():
        n = len(by_pos)
        x = np.array([by_pos[p] for p in range(n)])
        q, k, v = x @ w["wq"] + w["bq"], x @ w["wk"] + w["bk"], x @ w["wv"] + w["bv"]
        g = np.array([is_global[sid][p] for p in range(n)])
        i, j = np.indices((n, n))
        allowed = (np.abs(i - j) <= window) | g[i] | g[j]
        labels = [doc[sid][p] for p in range(n)]
        ids = np.array([labels.index(label) for label in labels])  # a document's first position
        allowed &= ids[i] == ids[j]
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
