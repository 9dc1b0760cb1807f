// Zoo Q04, BiPFT (zoo/quantization/bipft.mlir): 1-bit Q K^T with a per-head
// scale and a low-rank estimate of the binarization residual, (q U) . (k W),
// added to every score. Checked against the float64 reference (signs and
// projections computed independently) at lengths that are not multiples of
// the tiles, GQA, a decode step, Nq < Nk, the portable lowering alone and
// split-KV; then factors of the wrong shape (a located error) and a zero
// scale.

// RUN: attn-run %zoo/quantization/bipft.mlir --random 1 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/bipft.mlir --random 2 --tile-program --shape 2,4,2,37,45,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/bipft.mlir --random 3 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/bipft.mlir --random 4 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/bipft.mlir --random 5 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); f = lambda *s: r.standard_normal(s).astype(np.float32); np.save('%t.q.npy', f(1,2,5,4)); np.save('%t.k.npy', f(1,1,6,4)); np.save('%t.v.npy', f(1,1,6,4)); np.save('%t.a.npy', np.full((1,2,1), 0.5, np.float32)); a0 = np.full((1,2,1), 0.5, np.float32); a0[0,1,0] = 0; np.save('%t.a0.npy', a0); np.save('%t.u.npy', f(2,4,3)); np.save('%t.w.npy', f(1,4,3)); np.save('%t.w2.npy', f(1,4,2)); np.save('%t.u5.npy', f(2,5,3))"
// RUN: attn-run %zoo/quantization/bipft.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand q_scale=%t.a.npy --operand low_rank_u=%t.u.npy --operand low_rank_w=%t.w.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %zoo/quantization/bipft.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand q_scale=%t.a.npy --operand low_rank_u=%t.u.npy --operand low_rank_w=%t.w2.npy 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not attn-run %zoo/quantization/bipft.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand q_scale=%t.a.npy --operand low_rank_u=%t.u5.npy --operand low_rank_w=%t.w.npy 2>&1 | FileCheck %s --check-prefix=DIM
// RUN: not attn-run %zoo/quantization/bipft.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand q_scale=%t.a0.npy --operand low_rank_u=%t.u.npy --operand low_rank_w=%t.w.npy 2>&1 | FileCheck %s --check-prefix=ZERO
// GOOD: path tile program
// GOOD: check output {{.*}} PASS
// RANK: bipft.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op low_rank W dimension 2 (rank of U) is 2 but must be 3
// DIM: bipft.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op low_rank U dimension 1 (head_dim) is 5 but must be 4
// ZERO: error: argument 'q_scale': element 1 is 0.000000: a quantization scale must be finite and positive

// The old lowerings refuse it with a located diagnostic.
// RUN: not attn-run %zoo/quantization/bipft.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: bipft.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
// RUN: not attn-emit-lib %zoo/quantization/bipft.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU
// GPU: bipft.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.{{[a-z_0-9]+}}' op {{.*}}has no GPU lowering yet
