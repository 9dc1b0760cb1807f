// Zoo wave 1, normalizations (ZOO.md N01-N04, N07-N09; N05 LLA and N06
// entmax are not yet expressible, see docs/zoo.md): every spec checked
// against the float64 reference at two sizes, one not a multiple of the
// 32 x 64 tiles, through the tile program, the default lowering (weight_mod
// in its two-pass form and sink_logits included; `path tile program`
// asserts no op fell back).

// N01 LSSA (softplus + l1, length scale) and LSSAR (power re-weighting).
// RUN: attn-run %zoo/normalizations/softplus_lssa.mlir --random 1 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/softplus_lssa.mlir --random 2 --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/softplus_lssar.mlir --random 3 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/softplus_lssar.mlir --random 4 --shape 1,2,1,300,300,16 --check | FileCheck %s
// N02 Cog attention (signed weights: weight_mod, two passes).
// RUN: attn-run %zoo/normalizations/cog.mlir --random 5 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/cog.mlir --random 6 --shape 1,2,1,300,300,16 --check | FileCheck %s
// N03 TAB (softmax with a null logit: sink_logits); one bottleneck query.
// RUN: attn-run %zoo/normalizations/tab_bottleneck.mlir --random 7 --shape 2,1,1,1,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/tab_bottleneck.mlir --random 8 --shape 1,2,2,77,77,16 --check | FileCheck %s
// N04 Spikformer V2 (binary spikes, identity normalization: exact).
// RUN: attn-run %zoo/normalizations/spikformer_v2.mlir --random 9 --shape 2,4,4,100,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/spikformer_v2.mlir --random 10 --shape 1,2,2,200,200,32 --check | FileCheck %s
// N07 Affine-scaled attention (weight_mod alpha w + beta, two passes).
// RUN: attn-run %zoo/normalizations/affine_scaled.mlir --random 11 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/affine_scaled.mlir --random 12 --shape 1,2,1,300,300,16 --check | FileCheck %s
// N08 Sinkhorn half step (output and logsumexp).
// RUN: attn-run %zoo/normalizations/sinkhorn_qds.mlir --random 13 --shape 2,4,2,77,77,16 --check | FileCheck %s --check-prefixes=CHECK,LSE
// RUN: attn-run %zoo/normalizations/sinkhorn_qds.mlir --random 14 --shape 1,2,1,100,130,16 --check | FileCheck %s --check-prefixes=CHECK,LSE
// N09 Fourier-KArAt (G = 3, identity normalization).
// RUN: attn-run %zoo/normalizations/karat.mlir --random 15 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/normalizations/karat.mlir --random 16 --shape 1,2,1,200,200,16 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
// LSE: check lse {{.*}} PASS
