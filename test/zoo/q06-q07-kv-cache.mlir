// Zoo Q06 ZipCache (zoo/quantization/zipcache.mlir: keys quantized per
// token at 4 bits, salient tokens at 8, against the float query) and Q07
// OSCAR (zoo/quantization/oscar.mlir: a packed i4 key cache with per-token
// scales, rotated offline, against the float query rotated in the spec):
// the key caches as declared quantized K operands (#attn.quantized_qk
// <keys_only>), the value caches as pre-quantized i8 V operands with
// per-token scales (#attn.quantized_v). Checked against the float64 reference of the quantized math
// (the integers exact, then the scales) at lengths that are not multiples
// of the tiles, GQA, a decode step, Nq < Nk, the portable lowering alone
// and split-KV; then the bad inputs: salient flags other than 0 or 1, a
// zero key scale, a negative value scale, -8 in an i4 cache, scale and flag shapes, an odd head
// dimension of the packed i4 cache.

// RUN: attn-run %zoo/quantization/zipcache.mlir --random 1 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/zipcache.mlir --random 2 --tile-program --shape 2,4,2,37,45,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/zipcache.mlir --random 3 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/zipcache.mlir --random 4 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/zipcache.mlir --random 5 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/oscar.mlir --random 6 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/oscar.mlir --random 7 --tile-program --shape 2,4,2,37,45,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/oscar.mlir --random 8 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/oscar.mlir --random 9 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/oscar.mlir --random 10 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// Bad inputs, from .npy files (B1 Hq2 Hk1 Nq3 Nk6 D4; ZipCache's spec is
// bf16: its inputs are bf16 stored as uint16).
// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); f = lambda *s: r.standard_normal(s).astype(np.float32); g = lambda *s: (f(*s).view(np.uint32) >> 16).astype(np.uint16); np.save('%t.qb.npy', g(1,2,3,4)); np.save('%t.kb.npy', g(1,1,6,4)); np.save('%t.vb.npy', g(1,1,6,4)); np.save('%t.q.npy', f(1,2,3,4)); np.save('%t.kf.npy', f(1,1,6,4)); np.save('%t.v.npy', f(1,1,6,4)); np.save('%t.m.npy', np.array([[[0,1,0,0,1,0]]], np.int8)); np.save('%t.m2.npy', np.array([[[0,2,0,0,1,0]]], np.int8)); np.save('%t.m5.npy', np.zeros((1,1,5), np.int8)); k = r.integers(-7, 8, (1,1,6,4)).astype(np.int8); np.save('%t.k.npy', k); k8 = k.copy(); k8[0,0,2,1] = -8; np.save('%t.k8.npy', k8); np.save('%t.k5.npy', r.integers(-7, 8, (1,1,6,5)).astype(np.int8)); np.save('%t.q5.npy', f(1,2,3,5)); np.save('%t.v5.npy', f(1,1,6,5)); np.save('%t.s.npy', np.full((1,1,6), 0.2, np.float32)); s0 = np.full((1,1,6), 0.2, np.float32); s0[0,0,4] = 0; np.save('%t.s0.npy', s0); np.save('%t.s3.npy', np.full((1,1,3), 0.2, np.float32)); np.save('%t.r.npy', np.eye(4, dtype=np.float32)[None]); np.save('%t.r5.npy', np.eye(5, dtype=np.float32)[None]); np.save('%t.vq.npy', r.integers(-127, 128, (1,1,6,4)).astype(np.int8)); np.save('%t.vq5.npy', r.integers(-127, 128, (1,1,6,5)).astype(np.int8)); np.save('%t.sv.npy', r.uniform(0.005, 0.02, (1,1,6)).astype(np.float32)); sv0 = np.full((1,1,6), 0.01, np.float32); sv0[0,0,3] = -1; np.save('%t.sv0.npy', sv0)"
// RUN: attn-run %zoo/quantization/zipcache.mlir --tile-program --bf16 --q %t.qb.npy --k %t.kb.npy --v %t.vq.npy --operand v_scale=%t.sv.npy --operand k_salient=%t.m.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %zoo/quantization/zipcache.mlir --tile-program --bf16 --q %t.qb.npy --k %t.kb.npy --v %t.vq.npy --operand v_scale=%t.sv.npy --operand k_salient=%t.m2.npy 2>&1 | FileCheck %s --check-prefix=FLAG
// RUN: not attn-run %zoo/quantization/zipcache.mlir --tile-program --bf16 --q %t.qb.npy --k %t.kb.npy --v %t.vq.npy --operand v_scale=%t.sv.npy --operand k_salient=%t.m5.npy 2>&1 | FileCheck %s --check-prefix=FLAGSHAPE
// RUN: attn-run %zoo/quantization/oscar.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.vq.npy --operand v_scale=%t.sv.npy --operand k_scale=%t.s.npy --operand rotation=%t.r.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %zoo/quantization/oscar.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.vq.npy --operand v_scale=%t.sv.npy --operand k_scale=%t.s0.npy --operand rotation=%t.r.npy 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not attn-run %zoo/quantization/oscar.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.vq.npy --operand v_scale=%t.sv0.npy --operand k_scale=%t.s.npy --operand rotation=%t.r.npy 2>&1 | FileCheck %s --check-prefix=VZERO
// RUN: not attn-run %zoo/quantization/oscar.mlir --tile-program --q %t.q.npy --k %t.k8.npy --v %t.vq.npy --operand v_scale=%t.sv.npy --operand k_scale=%t.s.npy --operand rotation=%t.r.npy 2>&1 | FileCheck %s --check-prefix=MIN
// RUN: not attn-run %zoo/quantization/oscar.mlir --tile-program --q %t.q.npy --k %t.k.npy --v %t.vq.npy --operand v_scale=%t.sv.npy --operand k_scale=%t.s3.npy --operand rotation=%t.r.npy 2>&1 | FileCheck %s --check-prefix=SCALESHAPE
// RUN: not attn-run %zoo/quantization/oscar.mlir --tile-program --q %t.q5.npy --k %t.k5.npy --v %t.vq5.npy --operand v_scale=%t.sv.npy --operand k_scale=%t.s.npy --operand rotation=%t.r5.npy 2>&1 | FileCheck %s --check-prefix=ODD
// GOOD: path tile program
// GOOD: check output {{.*}} PASS
// FLAG: error: argument 'k_salient': element 1 is 2.000000: a salient flag is 0 or 1
// FLAGSHAPE: zipcache.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op k_salient dimension 2 (key blocks, ceil(length / k_block)) is 5 but must be 1 or 6
// ZERO: error: argument 'k_scale': element 4 is 0.000000: a quantization scale must be finite and positive
// VZERO: error: argument 'v_scale': element 3 is -1.000000: a quantization scale must be finite and positive
// MIN: error: argument 'k': element 9 is -8.000000: quantized values are symmetric, in [-7, 7] (-8 is not allowed)
// SCALESHAPE: oscar.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op k_scale dimension 2 (token blocks, ceil(length / block)) is 3 but must be 1 or 6
// ODD: oscar.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op an i4 key is passed packed two values per byte along the head dimension, which must be even, got head_dim 5

// The old lowerings refuse the declaration with a located diagnostic.
// RUN: not attn-run %zoo/quantization/zipcache.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: zipcache.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
// RUN: not attn-emit-lib %zoo/quantization/zipcache.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU-ZIP
// RUN: not attn-emit-lib %zoo/quantization/oscar.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU-OSCAR
// GPU-ZIP: zipcache.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.{{[a-z_0-9]+}}' op {{.*}}has no GPU lowering yet
// GPU-OSCAR: oscar.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.{{[a-z_0-9]+}}' op {{.*}}has no GPU lowering yet
