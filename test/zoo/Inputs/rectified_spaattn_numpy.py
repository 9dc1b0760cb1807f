"""Rectified SpaAttn's rectified sparse attention in NumPy (float64),
independent of attn-opt's reference: per query block of `block` queries the
top-k key blocks by mean(q) . mean(k) (ties by lower index) give the sparse
output O_c; the blocks whose gain score is at least 0 give the pooled
output O_a (softmax over those blocks of scale q . kbar_c + log n_c, values
vbar_c; 0 when there are none); o = rho O_c + w O_a. Compares with
attn-run's output.

usage: rectified_spaattn_numpy.py PREFIX OUT.npy BLOCK K
"""
import sys

import numpy as np

prefix, out_file, block, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
q = np.load(prefix + "q.npy").astype(np.float64)
kk = np.load(prefix + "k.npy").astype(np.float64)
v = np.load(prefix + "v.npy").astype(np.float64)
gain = np.load(prefix + "gain_scores.npy").astype(np.float64)
rho = np.load(prefix + "rho.npy").astype(np.float64)
wgt = np.load(prefix + "w.npy").astype(np.float64)
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
        g = gain[b if gain.shape[0] > 1 else 0, hk if gain.shape[1] > 1 else 0]
        for r in range(-(-Nq // block)):
            rows = slice(r * block, min(Nq, (r + 1) * block))
            gates = kbar @ q[b, h, rows].mean(0)
            crit = sorted(sorted(range(nb), key=lambda c: (-gates[c], c))[:k])
            idx = np.array([j for c in crit for j in range(c * block, min(Nk, (c + 1) * block))], dtype=int)
            added = [c for c in range(nb) if g[r, c] >= 0.0]
            for i in range(rows.start, rows.stop):
                qi = q[b, h, i]
                s = scale * (K[idx] @ qi)
                e = np.exp(s - s.max())
                o_c = (e @ V[idx]) / e.sum()
                o_a = np.zeros(V.shape[1])
                if added:
                    t = np.array([scale * (kbar[c] @ qi) + np.log(count[c]) for c in added])
                    e = np.exp(t - t.max())
                    o_a = (e @ vbar[added]) / e.sum()
                expected[b, h, i] = rho[b, h, i] * o_c + wgt[b, h, i] * o_a
err = np.linalg.norm(out - expected) / np.linalg.norm(expected)
assert err < 1e-5, err
print("Rectified SpaAttn formula rel_fro_err %.2e OK" % err)
