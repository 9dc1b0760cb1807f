// The split-KV form and the chunked linear form of attn-to-tile have no GPU
// kernel: refused on the op that makes them.
// RUN: not attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{split-kv=2 linear-chunk=0},convert-attn-tile-to-gpu))' 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: not attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu))' 2>&1 | FileCheck %s --check-prefix=CHUNKED

func.func @linear(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// SPLIT: unsupported-forms.mlir:7:8: error: 'attn_tile.for_key_tiles' op the split-KV form (attn-to-tile with split-kv = 1 keeps one work item per query tile) has no GPU lowering yet
// CHUNKED: unsupported-forms.mlir:7:8: error: 'attn_tile.read_state' op linear attention's carried state has no GPU lowering yet
