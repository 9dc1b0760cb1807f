"""SEA's sparse attention over an estimated mask in NumPy (float64),
independent of attn-opt's reference: query i at aligned position
p = i + Nk - Nq ranks the compressed columns (blocks of `block` keys) that
start at or before p by its estimate row (ties by lower column), keeps the
top k, and attends causally to the keys of those columns; p < 0 gives 0.
Compares with attn-run's output.

usage: sea_numpy.py PREFIX OUT.npy BLOCK K
"""
import sys

import numpy as np

prefix, out_file, block, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
q = np.load(prefix + "q.npy").astype(np.float64)
kk = np.load(prefix + "k.npy").astype(np.float64)
v = np.load(prefix + "v.npy").astype(np.float64)
est = np.load(prefix + "estimate.npy").astype(np.float64)
out = np.load(out_file).astype(np.float64)
B, Hq, Nq, D = q.shape
Hk, Nk = kk.shape[1], kk.shape[2]
scale = 1.0 / np.sqrt(D)
expected = np.zeros_like(out)
for b in range(B):
    for h in range(Hq):
        hk = h // (Hq // Hk)
        scores = est[b if est.shape[0] > 1 else 0, hk if est.shape[1] > 1 else 0]
        for i in range(Nq):
            p = i + Nk - Nq
            if p < 0:
                continue
            eligible = range(p // block + 1)
            cols = sorted(eligible, key=lambda c: (-scores[i, c], c))[:k]
            idx = np.array([j for c in sorted(cols) for j in range(c * block, min(p + 1, (c + 1) * block))], dtype=int)
            if len(idx) == 0:
                continue
            s = scale * (kk[b, hk, idx] @ q[b, h, i])
            w = np.exp(s - s.max())
            expected[b, h, i] = (w @ v[b, hk, idx]) / w.sum()
err = np.linalg.norm(out - expected) / np.linalg.norm(expected)
assert err < 1e-5, err
print("SEA formula rel_fro_err %.2e OK" % err)
