// Linear attention's quadratic form under split-KV (attn-to-tile's split
// form, linear-chunk = 0) lowers as softmax-free split kernels: the key
// ranges' partial sums and their merge (split-kv.mlir has the structure).
// The chunked linear form lowers (linear.mlir).
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{split-kv=2 linear-chunk=0},convert-attn-tile-to-gpu{split-kv=2 tile-q=16 tile-kv=16}))' 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu))' | FileCheck %s --check-prefix=CHUNKED

func.func @linear(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// SPLIT-LABEL: func.func @linear
// SPLIT: memref.alloc() : memref<2x1x2x64x16xf32>
// SPLIT: scf.forall (%{{.*}}) in (16) {
// SPLIT: scf.forall (%{{.*}}) in (8) {
// CHUNKED: func.func @linear{{.*}}attn.gpu.linear_chunk = 64
