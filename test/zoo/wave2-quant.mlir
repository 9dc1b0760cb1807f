// Zoo wave 2, quantization: SageAttention-style INT8 Q K^T with in-spec
// per-block quantization and K smoothing (zoo/quantization/sage_int8.mlir,
// bf16, not a roster entry), BinaryAttention (ZOO.md Q03, 1-bit signs
// with a per-head scale and a learnable bias) and SpargeAttn (ZOO.md Q01, a
// per-query-block selection with INT8 Q K^T). Checked against the float64
// reference, which quantizes (or takes signs) itself and multiplies the
// exact integer dot products by the scales, at lengths that are not
// multiples of the blocks or the tiles, GQA, a decode step, Nq > Nk, the
// portable lowering alone and the split-KV form. Lowered through the tile
// program only (`path tile program`).

// RUN: attn-run %zoo/quantization/sage_int8.mlir --random 1 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_int8.mlir --random 2 --tile-program --shape 2,4,2,37,37,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_int8.mlir --random 3 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_int8.mlir --random 4 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_int8.mlir --random 5 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/binaryattention.mlir --random 6 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/binaryattention.mlir --random 7 --tile-program --shape 2,4,4,37,45,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/binaryattention.mlir --random 8 --tile-program --portable-tiles --tile-q 8 --tile-kv 5 --shape 1,2,2,1,1,8 --check | FileCheck %s
// Q01 SpargeAttn: the selection (float gates, cumulative mass) composed with
// INT8 Q K^T; the reference selects and quantizes independently.
// RUN: attn-run %zoo/quantization/spargeattn.mlir --random 9 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/spargeattn.mlir --random 10 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,2,150,277,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/spargeattn.mlir --random 11 --tile-program --shape 1,2,1,1,300,16 --check | FileCheck %s
// SpargeAttn's non-causal form (causal = false, no mask): lengths not
// multiples of the blocks or tiles, GQA, Nq != Nk, one query token.
// RUN: attn-run %zoo/quantization/spargeattn_bidirectional.mlir --random 12 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/spargeattn_bidirectional.mlir --random 13 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,2,150,277,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/spargeattn_bidirectional.mlir --random 14 --tile-program --shape 1,2,1,1,300,16 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// The untiled lowering and the GPU refuse quantized Q K^T with a
// located diagnostic (the tile program is its only lowering).
// RUN: not attn-run %zoo/quantization/sage_int8.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not attn-run %zoo/quantization/binaryattention.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=UNTILED
// RUN: not attn-emit-lib %zoo/quantization/spargeattn.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU-SPARGE
// RUN: not attn-emit-lib %zoo/quantization/sage_int8.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU
// CPU: sage_int8.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
// UNTILED: binaryattention.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
// GPU: sage_int8.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.quantize' op in-spec INT8 quantization of a float Q or K (attn_tile.quantize; the GPU runs pre-quantized i8 Q and K with their scales) has no GPU lowering yet
// GPU-SPARGE: spargeattn.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.{{[a-z_]+}}' op {{.*}}has no GPU lowering yet
