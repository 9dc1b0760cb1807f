// The split-KV form of attn-to-tile has no GPU kernel: refused on the op
// that makes it. The chunked linear form lowers (linear.mlir).
// RUN: not attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{split-kv=2 linear-chunk=0},convert-attn-tile-to-gpu))' 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu))' | FileCheck %s --check-prefix=CHUNKED

func.func @linear(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// SPLIT: unsupported-forms.mlir:7:8: error: 'attn_tile.for_key_tiles' op the split-KV form (attn-to-tile with split-kv = 1 keeps one work item per query tile) has no GPU lowering yet
// CHUNKED: func.func @linear{{.*}}attn.gpu.linear_chunk = 64
