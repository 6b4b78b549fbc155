#!/usr/bin/env python3
"""Builds sample-data/tokens.jsonl, context.jsonl, weights.json, weights-localp.json,
hierarchical.jsonl and hierarchical-weights.json from a real public text.

Source: the Apache License 2.0 text that Debian's base-files package installs at
/usr/share/common-licenses/Apache-2.0 (present on every Debian machine). Each section of the
license (the preamble, sections 1-9, the appendix) is one sequence; each word is one token.

A token's vector x has d_model = 16 entries:
  - 12 from signed feature hashing of the word's character trigrams (with ^ and $ marking the
    word's ends; MD5 of the trigram picks the slot and the sign), scaled to unit length;
  - 4 sinusoidal position features: sin/cos(pos / 10000^(2i/16)) for i = 0, 1.
Values are rounded to 6 decimals so the files are small and reproducible.

context.jsonl is a context table for cross-attention (--attention cross --context): for each
sequence of tokens.jsonl, the same seq_id holds the words of its section's heading ("Grant of
Copyright License" for section 2; the first line for the preamble, the closing line and the
appendix), 1 to 10 tokens, with vectors made the same way.

weights.json holds seeded random projections (numpy, seed 20261124, N(0, 1/16)) for
wq, bq, wk, bk, wv, bv, wo, bo, each 16 x 16 (biases 16).

weights-localp.json holds the same projections plus Luong local-p's position predictor for
--attention local-p: wp (16 x 8, N(0, 1/4)) and vp (8, N(0, 1)), from a second seed (20261125) so
that weights.json stays as it was. weights-gqa.json holds the projections of weights.json with
wk, bk, wv, bv cut to their first 8 columns, for grouped-query attention (--heads 4 --kv-heads 2).

hierarchical.jsonl holds the same words for hierarchical attention: each section is one document
(doc_id as the sequence's seq_id), split into sentences after . ! ? ; or : that follows a letter,
a bracket or a quote; rows doc_id, sent_id, pos (within the sentence), word, x (as above, with
the position features of the word's pos within its sentence). hierarchical-weights.json holds
seeded pooling weights (numpy, seed 20160612, N(0, 1/4)): ww 16 x 8, bw 8, uw 8, and ws, bs, us
of the same shapes.

packed.jsonl holds the same sections as packed documents (--segment-col doc): in order, packed into
two sequences pack-0 and pack-1 of about equal length, pos counting on across sections (position
features of that pos), column doc naming the token's section.

Rebuild: python3 sample-data/make_sample.py  (rewrites all eight files byte for byte).
"""
import hashlib
import json
import math
import os
import random
import re

import numpy as np

SOURCE = "/usr/share/common-licenses/Apache-2.0"
HERE = os.path.dirname(os.path.abspath(__file__))
D_MODEL = 16
HASHED = 12


def sections(text):
    """Splits the license into its preamble, numbered sections and appendix."""
    parts = re.split(r"\n(?=\s*(?:\d+\.\s+[A-Z]|END OF TERMS|APPENDIX))", text)
    return [p for p in (s.strip() for s in parts) if p]


def word_features(word):
    v = [0.0] * HASHED
    w = "^" + word.lower() + "$"
    for i in range(len(w) - 2):
        h = hashlib.md5(w[i : i + 3].encode("utf-8")).digest()
        v[h[0] % HASHED] += 1.0 if h[1] & 1 else -1.0
    norm = math.sqrt(sum(a * a for a in v)) or 1.0
    return [a / norm for a in v]


def position_features(pos):
    out = []
    for i in range(2):
        angle = pos / (10000 ** (2 * i / D_MODEL))
        out += [math.sin(angle), math.cos(angle)]
    return out


def heading(section):
    """A section's title: "Definitions" from "1. Definitions.", else its first line."""
    first = section.split("\n")[0]
    m = re.match(r"\s*\d+\.\s+([^.]*)\.", first)
    return m.group(1) if m else first


def words_of(text):
    return re.findall(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*", text)


def token_rows(seq_id, words):
    return [
        {
            "seq_id": seq_id,
            "pos": pos,
            "word": word,
            "x": [round(a, 6) for a in word_features(word) + position_features(pos)],
        }
        for pos, word in enumerate(words)
    ]


def write_jsonl(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


SENTENCE_END = r"(?<=[A-Za-z)\"'][.!?;:])\s+"


def hierarchical(text):
    """Writes hierarchical.jsonl and hierarchical-weights.json; returns (words, sentences, docs)."""
    rows = []
    sentences = 0
    docs = 0
    for s, section in enumerate(sections(text)):
        parts = [p for p in re.split(SENTENCE_END, " ".join(section.split())) if words_of(p)]
        if not parts:
            continue
        docs += 1
        doc_id = "apache2-%02d" % s
        for sent_id, sentence in enumerate(parts):
            sentences += 1
            for pos, word in enumerate(words_of(sentence)):
                x = [round(a, 6) for a in word_features(word) + position_features(pos)]
                rows.append({"doc_id": doc_id, "sent_id": sent_id, "pos": pos, "word": word, "x": x})
    random.Random(11).shuffle(rows)  # any row order is valid input
    write_jsonl("hierarchical.jsonl", rows)

    rng = np.random.default_rng(20160612)
    weights = {}
    for level in ("w", "s"):
        weights["w" + level] = np.round(rng.normal(0, 0.5, (D_MODEL, 8)), 6).tolist()
        weights["b" + level] = np.round(rng.normal(0, 0.5, 8), 6).tolist()
        weights["u" + level] = np.round(rng.normal(0, 0.5, 8), 6).tolist()
    with open(os.path.join(HERE, "hierarchical-weights.json"), "w", encoding="utf-8") as f:
        json.dump(weights, f, separators=(",", ":"))
        f.write("\n")
    return len(rows), sentences, docs


def packed(text):
    """Writes packed.jsonl: the sections packed in order into two sequences of about equal
    length, pos counting on across sections, doc naming each token's section, first true on
    each section's first token (--global-col first: the documents' first tokens as global
    tokens); returns the sequences' lengths."""
    docs = [("apache2-%02d" % s, words_of(section)) for s, section in enumerate(sections(text))]
    docs = [(d, w) for d, w in docs if w]
    half = sum(len(w) for _, w in docs) / 2
    rows = []
    lengths = [0, 0]
    for doc, words in docs:
        pack = 0 if lengths[0] < half else 1
        for row in token_rows("pack-%d" % pack, words):
            pos = lengths[pack] + row["pos"]
            x = [round(a, 6) for a in word_features(row["word"]) + position_features(pos)]
            first = row["pos"] == 0
            rows.append(
                {"seq_id": row["seq_id"], "pos": pos, "doc": doc, "first": first, "word": row["word"], "x": x}
            )
        lengths[pack] += len(words)
    random.Random(12).shuffle(rows)  # any row order is valid input
    write_jsonl("packed.jsonl", rows)
    return lengths


def main():
    with open(SOURCE, encoding="utf-8") as f:
        text = f.read()
    rows = []
    context = []
    counts = []
    for s, section in enumerate(sections(text)):
        words = words_of(section)
        if not words:
            continue
        seq_id = "apache2-%02d" % s
        counts.append((seq_id, len(words)))
        rows += token_rows(seq_id, words)
        context += token_rows(seq_id, words_of(heading(section)))
    random.Random(7).shuffle(rows)  # any row order is valid input
    write_jsonl("tokens.jsonl", rows)
    random.Random(8).shuffle(context)
    write_jsonl("context.jsonl", context)

    rng = np.random.default_rng(20261124)
    weights = {}
    for name in ("q", "k", "v", "o"):
        weights["w" + name] = np.round(rng.normal(0, 0.25, (D_MODEL, D_MODEL)), 6).tolist()
        weights["b" + name] = np.round(rng.normal(0, 0.25, D_MODEL), 6).tolist()
    with open(os.path.join(HERE, "weights.json"), "w", encoding="utf-8") as f:
        json.dump(weights, f, separators=(",", ":"))
        f.write("\n")

    # Local-p: p_t = n * sigmoid(vp . tanh(h_t wp)), h_t the projected query (16 wide).
    rng_p = np.random.default_rng(20261125)
    localp = dict(weights)
    localp["wp"] = np.round(rng_p.normal(0, 0.5, (D_MODEL, 8)), 6).tolist()
    localp["vp"] = np.round(rng_p.normal(0, 1.0, 8), 6).tolist()
    with open(os.path.join(HERE, "weights-localp.json"), "w", encoding="utf-8") as f:
        json.dump(localp, f, separators=(",", ":"))
        f.write("\n")
    # Grouped-query attention (--heads 4 --kv-heads 2): the same projections with wk, bk, wv, bv
    # cut to their first 8 columns (2 key/value heads of 4).
    gqa = dict(weights)
    for name in ("wk", "wv"):
        gqa[name] = [row[:8] for row in weights[name]]
    for name in ("bk", "bv"):
        gqa[name] = weights[name][:8]
    with open(os.path.join(HERE, "weights-gqa.json"), "w", encoding="utf-8") as f:
        json.dump(gqa, f, separators=(",", ":"))
        f.write("\n")
    print("%d tokens in %d sequences, lengths %s" % (len(rows), len(counts), [n for _, n in counts]))
    print("context: %d tokens" % len(context))
    print("hierarchical: %d words in %d sentences of %d documents" % hierarchical(text))
    print("packed: two sequences of %s tokens" % packed(text))


if __name__ == "__main__":
    main()
