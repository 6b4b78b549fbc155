#!/usr/bin/env python3
"""Our --rope/--kv-heads, --alibi and --softcap/--scale against Hugging Face transformers' attention.

Usage: python3 bench/conformance_modern.py [workdir]     (needs: pip install torch transformers)

Builds random tokens and projections, runs jobs/attention on them, and compares its output with
  - Llama: transformers' LlamaAttention (eager, fp64): RoPE (half), grouped-query heads, causal;
  - BLOOM: BLOOM's attention formula with transformers' build_alibi_tensor (alibi + q·kᵀ/√d, causal);
  - Gemma 2: transformers' Gemma2Attention (eager, fp64): RoPE, GQA, softcap, query_pre_attn_scalar.
Prints the largest relative difference per model. Not a unit test: the JUnit tests check the job
against plain-loop references written from the definitions; this script checks the definitions
against the models people run.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
D_MODEL, HEADS, KV_HEADS, D_HEAD = 16, 4, 2, 4
LENGTHS = (37, 5)


def write_tokens(path, seqs):
    with open(path, "w") as f:
        for s, X in enumerate(seqs):
            for p, x in enumerate(X):
                f.write(json.dumps({"seq_id": "s%d" % s, "pos": p, "x": [float(v) for v in x]}) + "\n")


def write_weights(path, q, k, v, o):
    """Linear layers (y = x·Wᵀ + b) as our weights file (y = x·W + b)."""
    w = {}
    for name, lin in (("q", q), ("k", k), ("v", v), ("o", o)):
        w["w" + name] = lin.weight.detach().double().T.tolist()
        if lin.bias is not None:
            w["b" + name] = lin.bias.detach().double().tolist()
    with open(path, "w") as f:
        json.dump(w, f)


def run_job(work, name, tokens, weights, options):
    out = os.path.join(work, "out-" + name)
    subprocess.run(["rm", "-rf", out], check=True)
    cmd = [os.path.join(ROOT, "jobs", "attention"), "--", "--input", tokens, "--output", out,
           "--format", "json", "--weights", weights, "--heads", str(HEADS)] + options
    subprocess.run(cmd, check=True, capture_output=True)
    got = {}
    for part in sorted(os.listdir(out)):
        if part.endswith(".json"):
            for line in open(os.path.join(out, part)):
                r = json.loads(line)
                got[(r["seq_id"], r["pos"])] = np.array(r["out"])
    return got


def causal_mask(n):
    m = torch.full((n, n), float("-inf"), dtype=torch.float64).triu(1)
    return m[None, None]


def compare(name, seqs, got, reference):
    worst = 0.0
    for s, X in enumerate(seqs):
        want = reference(torch.tensor(X)[None]).detach().numpy()[0]
        for p in range(len(X)):
            a = got[("s%d" % s, p)]
            worst = max(worst, float(np.max(np.abs(a - want[p]) / np.maximum(1, np.abs(want[p])))))
    print("%-8s max relative difference %.2e" % (name, worst))
    return worst


def llama(work, seqs, tokens):
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaAttention, LlamaRotaryEmbedding

    cfg = LlamaConfig(hidden_size=D_MODEL, num_attention_heads=HEADS, num_key_value_heads=KV_HEADS,
                      head_dim=D_HEAD, rope_theta=10000.0, attention_bias=True)
    cfg._attn_implementation = "eager"
    attn = LlamaAttention(cfg, layer_idx=0).double().eval()
    rotary = LlamaRotaryEmbedding(cfg).double()
    weights = os.path.join(work, "llama.json")
    write_weights(weights, attn.q_proj, attn.k_proj, attn.v_proj, attn.o_proj)
    got = run_job(work, "llama", tokens, weights,
                  ["--attention", "causal", "--rope", "--kv-heads", str(KV_HEADS)])

    def ref(x):
        n = x.shape[1]
        pos = torch.arange(n)[None]
        return attn(x, position_embeddings=rotary(x, pos), attention_mask=causal_mask(n))[0]

    return compare("llama", seqs, got, ref)


def bloom(work, seqs, tokens):
    from transformers.models.bloom.modeling_bloom import build_alibi_tensor

    torch.manual_seed(2)
    lin = [torch.nn.Linear(D_MODEL, D_MODEL).double() for _ in range(4)]
    weights = os.path.join(work, "bloom.json")
    write_weights(weights, *lin)
    got = run_job(work, "bloom", tokens, weights, ["--attention", "causal", "--alibi"])

    def ref(x):
        n = x.shape[1]
        q, k, v = (l(x).view(1, n, HEADS, D_HEAD).transpose(1, 2) for l in lin[:3])
        alibi = build_alibi_tensor(torch.ones(1, n), HEADS, torch.float64).view(1, HEADS, 1, n)
        # BLOOM: baddbmm(alibi, q, kᵀ, beta=1, alpha=1/√d): slope·k added to every query's row
        s = alibi + q @ k.transpose(-1, -2) / np.sqrt(D_HEAD) + causal_mask(n)
        o = torch.softmax(s, dim=-1) @ v
        return lin[3](o.transpose(1, 2).reshape(1, n, D_MODEL))

    return compare("bloom", seqs, got, ref)


def gemma2(work, seqs, tokens):
    from transformers import Gemma2Config
    from transformers.models.gemma2.modeling_gemma2 import Gemma2Attention, Gemma2RotaryEmbedding

    cfg = Gemma2Config(hidden_size=D_MODEL, num_attention_heads=HEADS, num_key_value_heads=KV_HEADS,
                       head_dim=D_HEAD, query_pre_attn_scalar=9, attn_logit_softcapping=1.5,
                       attention_bias=True, sliding_window=4096)
    cfg._attn_implementation = "eager"
    attn = Gemma2Attention(cfg, layer_idx=1).double().eval()  # an odd layer: no sliding window
    rotary = Gemma2RotaryEmbedding(cfg).double()
    weights = os.path.join(work, "gemma2.json")
    write_weights(weights, attn.q_proj, attn.k_proj, attn.v_proj, attn.o_proj)
    got = run_job(work, "gemma2", tokens, weights,
                  ["--attention", "causal", "--rope", "--kv-heads", str(KV_HEADS),
                   "--softcap", "1.5", "--scale", str(9.0 ** -0.5)])

    def ref(x):
        n = x.shape[1]
        pos = torch.arange(n)[None]
        return attn(x, position_embeddings=rotary(x, pos), attention_mask=causal_mask(n))[0]

    return compare("gemma2", seqs, got, ref)


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else "/tmp/conformance-modern"
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    seqs = [rng.normal(0, 1, (n, D_MODEL)) for n in LENGTHS]
    tokens = os.path.join(work, "tokens.jsonl")
    write_tokens(tokens, seqs)
    worst = max(llama(work, seqs, tokens), bloom(work, seqs, tokens), gemma2(work, seqs, tokens))
    # transformers computes RoPE's inverse frequencies in fp32 before the fp64 cast
    sys.exit(0 if worst < 1e-6 else 1)


if __name__ == "__main__":
    main()
