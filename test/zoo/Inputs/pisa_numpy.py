"""PISA's 0th-order formula in NumPy (float64), independent of attn-opt's
reference: per query block of `block` queries, the top-k key blocks by
mean(q) . mean(k) are exact; every other block is one term
exp(scale q . kbar_c) * sum_j v_j with normalizer weight
n_c exp(scale q . kbar_c). Compares with attn-run's output.

usage: pisa_numpy.py PREFIX OUT.npy BLOCK K
"""
import sys

import numpy as np

prefix, out_file, block, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
q = np.load(prefix + "q.npy").astype(np.float64)
kk = np.load(prefix + "k.npy").astype(np.float64)
v = np.load(prefix + "v.npy").astype(np.float64)
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
        vsum = np.stack([V[c * block:(c + 1) * block].sum(0) for c in range(nb)])
        count = np.array([min(Nk, (c + 1) * block) - c * block for c in range(nb)])
        for r in range(-(-Nq // block)):
            rows = slice(r * block, min(Nq, (r + 1) * block))
            qbar = q[b, h, rows].mean(0)
            gates = kbar @ qbar
            order = sorted(range(nb), key=lambda c: (-gates[c], c))
            critical = set(order[:k])
            for i in range(rows.start, rows.stop):
                qi = q[b, h, i]
                num, den, m = np.zeros(V.shape[1]), 0.0, -np.inf
                terms = []
                for c in range(nb):
                    if c in critical:
                        s = scale * (K[c * block:(c + 1) * block] @ qi)
                        terms.append((s, V[c * block:(c + 1) * block], None))
                    else:
                        s = scale * (kbar[c] @ qi)
                        terms.append((np.array([s]), vsum[c][None, :], count[c]))
                m = max(t[0].max() for t in terms)
                for s, vals, n in terms:
                    w = np.exp(s - m)
                    num += w @ vals
                    den += w.sum() * (n if n is not None else 1)
                expected[b, h, i] = num / den
err = np.linalg.norm(out - expected) / np.linalg.norm(expected)
assert err < 1e-5, err
print("PISA formula rel_fro_err %.2e OK" % err)
