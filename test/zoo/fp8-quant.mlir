// FP8 Q K^T: SageAttention-style FP8 e4m3 Q and K quantized in the spec
// per block (Q 128, K 64) with K smoothing and FP8 P V
// (zoo/quantization/sage_fp8.mlir, bf16 in), and a pre-quantized f8E5M2 key
// cache with per-token scales against the float query
// (zoo/quantization/fp8_kv_cache.mlir, causal). Checked against the float64
// reference of the quantized math (the FP8 products exact, the P V bound
// of FP8 P V) at lengths that are not multiples of the tiles, GQA, a decode
// step (one query), Nq > Nk (causal: fully masked rows give 0), the
// portable lowering alone, both vector widths and split-KV.

// RUN: attn-run %zoo/quantization/sage_fp8.mlir --random 1 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_fp8.mlir --random 2 --tile-program --shape 2,4,2,37,37,32 --check --vector-width 8 | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_fp8.mlir --random 3 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_fp8.mlir --random 4 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sage_fp8.mlir --random 5 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/fp8_kv_cache.mlir --random 6 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/fp8_kv_cache.mlir --random 7 --tile-program --shape 2,4,2,37,45,32 --check --vector-width 8 | FileCheck %s
// RUN: attn-run %zoo/quantization/fp8_kv_cache.mlir --random 8 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/fp8_kv_cache.mlir --random 9 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/fp8_kv_cache.mlir --random 10 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// The untiled lowering and the GPU refuse the declaration with a located diagnostic.
// RUN: not attn-run %zoo/quantization/sage_fp8.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not attn-run %zoo/quantization/fp8_kv_cache.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=LOOPS
// CPU: sage_fp8.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
// LOOPS: fp8_kv_cache.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
// RUN: not attn-emit-lib %zoo/quantization/sage_fp8.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: not attn-emit-lib %zoo/quantization/fp8_kv_cache.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU
// GPU: fp8{{.*}}.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.{{[a-z_0-9]+}}' op {{.*}}has no GPU lowering yet
