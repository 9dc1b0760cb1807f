"""SVG-EAR's compensated sparse attention in NumPy (float64), independent of
attn-opt's reference: per query block of `block` queries, the k key
clusters (contiguous blocks of `block` keys) with the highest route scores
route[b, hk, r, c] (ties by lower index) are exact; every other cluster is
one term n_c exp(scale q . kbar_c) vbar_c with normalizer weight
n_c exp(scale q . kbar_c). Compares with attn-run's output.

usage: svg_ear_numpy.py PREFIX OUT.npy BLOCK K
"""
import sys

import numpy as np

prefix, out_file, block, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
q = np.load(prefix + "q.npy").astype(np.float64)
kk = np.load(prefix + "k.npy").astype(np.float64)
v = np.load(prefix + "v.npy").astype(np.float64)
route = np.load(prefix + "route_scores.npy").astype(np.float64)
out = np.load(out_file).astype(np.float64)
B, Hq, Nq, D = q.shape
Hk, Nk = kk.shape[1], kk.shape[2]
scale = 1.0 / np.sqrt(D)
nb = -(-Nk // block)
expected = np.zeros_like(out)
for b in range(B):
    for h in range(Hq):
        hk = h // (Hq // Hk)
        K, V = kk[b, hk], v[b, hk]
        kbar = np.stack([K[c * block:(c + 1) * block].mean(0) for c in range(nb)])
        vbar = np.stack([V[c * block:(c + 1) * block].mean(0) for c in range(nb)])
        count = np.array([min(Nk, (c + 1) * block) - c * block for c in range(nb)])
        scores = route[b if route.shape[0] > 1 else 0, hk if route.shape[1] > 1 else 0]
        for r in range(-(-Nq // block)):
            order = sorted(range(nb), key=lambda c: (-scores[r, c], c))
            exact = set(order[:k])
            for i in range(r * block, min(Nq, (r + 1) * block)):
                qi = q[b, h, i]
                logits, values = [], []
                for c in range(nb):
                    if c in exact:
                        logits.append(scale * (K[c * block:(c + 1) * block] @ qi))
                        values.append(V[c * block:(c + 1) * block])
                    else:
                        logits.append(np.array([scale * (kbar[c] @ qi) + np.log(count[c])]))
                        values.append(vbar[c][None, :])
                s = np.concatenate(logits)
                w = np.exp(s - s.max())
                expected[b, h, i] = (w @ np.concatenate(values)) / w.sum()
err = np.linalg.norm(out - expected) / np.linalg.norm(expected)
assert err < 1e-5, err
print("SVG-EAR formula rel_fro_err %.2e OK" % err)
