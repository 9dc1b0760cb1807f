// Zoo Q05, PAROAttention (zoo/quantization/paroattention.mlir): a static
// per-head block-sparse layout (64 x 64 blocks, the runner's random layout
// keeps each diagonal block and half of the others) with SageAttention's
// INT8 Q K^T (per block, K smoothing) and INT8 P V, bf16 in, on tokens the
// caller has reordered. Checked against the float64 reference of the
// quantized math: with INT8 P V the kernel rounds the weights with each key
// tile's running max, the reference with the final max, so attn-run judges
// the output by the reference's derived P V bound (plus bf16's tolerance).
// Lengths not multiples of the blocks or tiles, a decode step, Nq > Nk,
// the portable lowering alone and split-KV.

// RUN: attn-run %zoo/quantization/paroattention.mlir --random 1 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/paroattention.mlir --random 2 --tile-program --shape 2,4,2,137,145,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/paroattention.mlir --random 3 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/paroattention.mlir --random 4 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/paroattention.mlir --random 5 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output within the quantized P V bound: {{.*}} PASS

// The old lowerings refuse it with a located diagnostic.
// RUN: not attn-run %zoo/quantization/paroattention.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: paroattention.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
// RUN: not attn-emit-lib %zoo/quantization/paroattention.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU
// GPU: paroattention.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.{{[a-z_0-9]+}}' op {{.*}}has no GPU lowering yet
