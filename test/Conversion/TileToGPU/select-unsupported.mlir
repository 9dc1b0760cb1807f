// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))'
// The selection kernels (SelectionKernel.cpp) run a selection per token by
// the dot gate on one pool (mean, max, min, sum) with the top-k rule
// (keep_current, sinks, local and causal = false included); every other
// form of #attn.topk_blocks is refused on the tile op that carries it,
// naming the form, at the spec's location.

func.func @q_block(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection per query block (q_block) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, q_block = 16>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @given(%q: tensor<1x2x64x16xf32>, %s: tensor<1x2x4xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.select_blocks' op block selection by given block scores has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, gate = given>)
       block_scores(%s : tensor<1x2x4xf32>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @last(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection by a representative key (pool = first or last) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = last>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @threshold(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection by a threshold or cumulative mass has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, threshold = 0.1>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @mass(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection by a threshold or cumulative mass has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, mass = 0.9>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @skip(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection with a rank band (skip) or a score floor (min_score) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, keep_current = false, skip = 1>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @min_score(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection with a rank band (skip) or a score floor (min_score) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, min_score = 0.5>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @budgets(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection with per-head budgets has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, budgets = [1, 3]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @complement(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op the complement of a block selection has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, complement = true>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @select_queries(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op query selection (select_queries) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, keep_current = false, select_queries = true>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @learned(%q: tensor<1x2x64x16xf32>, %wq: tensor<1x16x8xf32>, %wk: tensor<1x48x8xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection by a learned gate has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = [max, min, mean], q_block = 16, gate = learned>, %wq, %wk : tensor<1x16x8xf32>, tensor<1x48x8xf32>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
