"""TCA's per-head token budgets in NumPy (float64), independent of attn-opt's
reference: per key head hk a budget n_hk; query i at aligned position
p = i + Nk - Nq keeps its own token and the `local` tokens before it, then
the highest-scored earlier tokens (ties by lower index) until n_hk tokens
are kept; causal softmax attention over the kept tokens. A query before
the keys (p < 0) is 0. Compares with attn-run's output.

usage: tca_numpy.py PREFIX OUT.npy LOCAL BUDGET0,BUDGET1,...
"""
import sys

import numpy as np

prefix, out_file = sys.argv[1], sys.argv[2]
local = int(sys.argv[3])
budgets = [int(x) for x in sys.argv[4].split(",")]
q = np.load(prefix + "q.npy").astype(np.float64)
kk = np.load(prefix + "k.npy").astype(np.float64)
v = np.load(prefix + "v.npy").astype(np.float64)
r = np.load(prefix + "redundancy_scores.npy").astype(np.float64)
out = np.load(out_file).astype(np.float64)
B, Hq, Nq, D = q.shape
Hk, Nk = kk.shape[1], kk.shape[2]
assert len(budgets) == Hk
scale = 1.0 / np.sqrt(D)
expected = np.zeros_like(out)
for b in range(B):
    for h in range(Hq):
        hk = h // (Hq // Hk)
        scores = r[b if r.shape[0] > 1 else 0, hk]
        for i in range(Nq):
            p = i + Nk - Nq
            if p < 0:
                continue
            kept = [j for j in range(max(0, p - local), p + 1)]
            rest = sorted((j for j in range(p + 1) if j not in set(kept)),
                          key=lambda j: (-scores[j], j))
            chosen = kept + rest[:max(0, budgets[hk] - len(kept))]
            idx = np.array(sorted(chosen))
            s = scale * (kk[b, hk, idx] @ q[b, h, i])
            w = np.exp(s - s.max())
            expected[b, h, i] = (w @ v[b, hk, idx]) / w.sum()
err = np.linalg.norm(out - expected) / max(np.linalg.norm(expected), 1e-300)
assert err < 1e-5, err
print("TCA formula rel_fro_err %.2e OK" % err)
