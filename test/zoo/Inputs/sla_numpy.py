"""SLA's sparse-linear attention in NumPy (float64), independent of
attn-opt's reference: per query block of `block` queries, the key blocks
ranked by mean(q) . mean(k) (ties by lower index); the top `kc` are exact
softmax attention, ranks [kc, kc + km) linear attention with phi = softmax
over the features (l1-normalized, 0 without a marginal block), the rest
skipped; O = g_sparse * O_s + g_proj * O_l (g_proj per head and channel).
Compares with attn-run's output.

usage: sla_numpy.py PREFIX OUT.npy BLOCK KC KM
"""
import sys

import numpy as np

prefix, out_file = sys.argv[1], sys.argv[2]
block, kc, km = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
q = np.load(prefix + "q.npy").astype(np.float64)
kk = np.load(prefix + "k.npy").astype(np.float64)
v = np.load(prefix + "v.npy").astype(np.float64)
g_sparse = np.load(prefix + "g_sparse.npy").astype(np.float64).reshape(())
g_proj = np.load(prefix + "g_proj.npy").astype(np.float64)  # [1, Hq, 1, Dv]
out = np.load(out_file).astype(np.float64)
B, Hq, Nq, D = q.shape
Hk, Nk = kk.shape[1], kk.shape[2]
scale = 1.0 / np.sqrt(D)
nb = -(-Nk // block)


def phi(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


expected = np.zeros_like(out)
for b in range(B):
    for h in range(Hq):
        hk = h // (Hq // Hk)
        K, V = kk[b, hk], v[b, hk]
        kbar = np.stack([K[c * block:(c + 1) * block].mean(0) for c in range(nb)])
        for r in range(-(-Nq // block)):
            rows = slice(r * block, min(Nq, (r + 1) * block))
            gates = kbar @ q[b, h, rows].mean(0)
            order = sorted(range(nb), key=lambda c: (-gates[c], c))
            keys = lambda cs: np.array([j for c in sorted(cs) for j in range(c * block, min(Nk, (c + 1) * block))], dtype=int)
            crit, marg = keys(order[:kc]), keys(order[kc:kc + km])
            for i in range(rows.start, rows.stop):
                qi = q[b, h, i]
                s = scale * (K[crit] @ qi)
                w = np.exp(s - s.max())
                o_s = (w @ V[crit]) / w.sum()
                o_l = np.zeros(V.shape[1])
                if len(marg):
                    a = phi(K[marg]) @ phi(qi)
                    o_l = (a @ V[marg]) / a.sum()
                expected[b, h, i] = g_sparse * o_s + g_proj[0, h, 0] * o_l
err = np.linalg.norm(out - expected) / np.linalg.norm(expected)
assert err < 1e-5, err
print("SLA formula rel_fro_err %.2e OK" % err)
