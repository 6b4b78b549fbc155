#!/usr/bin/env python3
"""Compares two outputs of jobs/attention (JSON-lines part files, rows keyed by (seq_id, pos)).

Usage: python3 bench/compare_outputs.py REFERENCE_DIR OTHER_DIR

Prints the number of rows, the largest absolute difference of the `out` arrays, it over the
largest |out| of the reference, the largest per-row difference over that row's largest |out|, and
the largest elementwise relative difference (large where an output is near zero). Used for the
fp32 figures of docs/performance.md (the sample command with and without --precision fp32).
"""
import glob
import json
import sys


def load(d):
    rows = {}
    for f in glob.glob(d + "/part-*"):
        for line in open(f):
            o = json.loads(line)
            rows[(o["seq_id"], o["pos"])] = o["out"]
    return rows


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    if a.keys() != b.keys():
        sys.exit("the outputs hold different rows")
    maxabs = max(abs(x - y) for k in a for x, y in zip(a[k], b[k]))
    maxout = max(abs(x) for k in a for x in a[k])
    row = max(max(abs(x - y) for x, y in zip(a[k], b[k])) / max(abs(x) for x in a[k]) for k in a)
    rel = max(abs(x - y) / abs(x) for k in a for x, y in zip(a[k], b[k]) if x != 0)
    print("rows %d maxabs %.3e maxabs/maxout %.3e max_row_rel %.3e max_elementwise_rel %.3e"
          % (len(a), maxabs, maxabs / maxout, row, rel))


if __name__ == "__main__":
    main()
