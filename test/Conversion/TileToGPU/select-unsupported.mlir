// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))'
// The selection kernels (SelectionKernel.cpp) run the dot gate on one pool
// (mean, max, min, sum, first, last) or given block scores, per token or
// per query block (shared by a head group or proxy heads or not), with
// every rule (top-k, threshold, cumulative mass, budgets, rank band, score
// floor, complement, query selection; kept current, sink and local blocks;
// causal or not). A learned gate (SeerAttention's AttnGate, with its
// concatenated pools) is refused on the tile op that carries it, naming
// the form, at the spec's location.

func.func @learned(%q: tensor<1x2x64x16xf32>, %wq: tensor<1x16x8xf32>, %wk: tensor<1x48x8xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection by a learned gate has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = [max, min, mean], q_block = 16, gate = learned>, %wq, %wk : tensor<1x16x8xf32>, tensor<1x48x8xf32>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
