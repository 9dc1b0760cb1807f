#!/usr/bin/env python3
"""Accuracy of FP8 Q K^T (and FP8 P V) against full-precision attention, as
SageAttention reports it: cosine similarity, relative L1 distance and the
relative Frobenius error of the compiled output (attn-run, tile program)
against float64 softmax(q k^T / sqrt(d)) v of the same Gaussian inputs
(B1 H4 N512 D64, dense and causal), per seed, with INT8 Q K^T on the same
inputs for comparison. With --assert, exits 1 if a case misses its bound
(cos and relative Frobenius error, stated per case below).

    fp8_accuracy.py [--assert] [--seeds 1,2,3] [--cases a,b] WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np

SPEC = """
func.func @{name}(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {{
  %o = attn.attention %q, %k, %v {mask}
       quantization(#attn.quantized_qk<{quant}>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}}
"""

BLOCKS = "q_block = 128, k_block = 64, smooth_k = true"
# name: (quantization, min cos, max relative Frobenius error); None: not
# asserted (shown for comparison).
CASES = {
    "int8_block": (f"scheme = int8, {BLOCKS}", None),
    "fp8_e4m3_block": (f"scheme = fp8_e4m3, {BLOCKS}", (0.998, 0.06)),
    "fp8_e5m2_block": (f"scheme = fp8_e5m2, {BLOCKS}", (0.995, 0.12)),
    "fp8_e4m3_token": ("scheme = fp8_e4m3", (0.998, 0.06)),
    "fp8_e4m3_pv_e4m3": (f"scheme = fp8_e4m3, {BLOCKS}, pv = fp8_e4m3",
                         (0.997, 0.08)),
}


def reference(q, k, v, causal):
    s = np.einsum("bhid,bhjd->bhij", q, k) / np.sqrt(q.shape[-1])
    if causal:
        n = s.shape[-1]
        s = np.where(np.tril(np.ones((n, n), bool)), s, -np.inf)
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    return np.einsum("bhij,bhjd->bhid", p / p.sum(-1, keepdims=True), v)


def main(argv):
    check = "--assert" in argv
    argv = [a for a in argv if a != "--assert"]
    seeds, cases = [1, 2, 3], list(CASES)
    while len(argv) > 1 and argv[0] in ("--seeds", "--cases"):
        if argv[0] == "--seeds":
            seeds = [int(s) for s in argv[1].split(",")]
        else:
            cases = argv[1].split(",")
        argv = argv[2:]
    work = argv[0]
    os.makedirs(work, exist_ok=True)
    spec = os.path.join(work, "fp8_accuracy.mlir")
    with open(spec, "w") as f:
        for name in cases:
            for causal in (False, True):
                f.write(SPEC.format(name=name + ("_causal" if causal else ""),
                                    mask="mask(#attn.causal)" if causal else "",
                                    quant=CASES[name][0]))
    failed = 0
    print("| case | mask | seed | cos | rel L1 | rel Fro | bound |")
    for seed in seeds:
        r = np.random.default_rng(seed)
        q, k, v = (r.standard_normal((1, 4, 512, 64)).astype(np.float32)
                   for _ in range(3))
        paths = {}
        for n, a in (("q", q), ("k", k), ("v", v)):
            paths[n] = os.path.join(work, f"{n}{seed}.npy")
            np.save(paths[n], a)
        refs = {c: reference(q.astype(np.float64), k.astype(np.float64),
                             v.astype(np.float64), c) for c in (False, True)}
        for name in cases:
            for causal in (False, True):
                entry = name + ("_causal" if causal else "")
                out = os.path.join(work, f"o_{entry}_{seed}.npy")
                subprocess.run(["attn-run", spec, "--entry", entry,
                                "--tile-program", "--q", paths["q"], "--k",
                                paths["k"], "--v", paths["v"], "-o", out],
                               check=True, stdout=subprocess.DEVNULL)
                o = np.load(out).astype(np.float64)
                ref = refs[causal]
                cos = float((o * ref).sum() /
                            np.sqrt((o * o).sum() * (ref * ref).sum()))
                l1 = float(np.abs(o - ref).sum() / np.abs(ref).sum())
                fro = float(np.linalg.norm(o - ref) / np.linalg.norm(ref))
                bound = CASES[name][1]
                ok = bound is None or (cos > bound[0] and fro < bound[1])
                failed += not ok
                print(f"| {name} | {'causal' if causal else 'dense'} | {seed} "
                      f"| {cos:.6f} | {l1:.3e} | {fro:.3e} | "
                      f"{'-' if bound is None else f'cos > {bound[0]}, fro < {bound[1]}'}"
                      f"{'' if ok else ' FAILED'} |")
    print(f"{failed} cases missed their bound")
    return 1 if check and failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
