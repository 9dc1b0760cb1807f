// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// The selection declaration round-trips: every pool kind, keep_current
// both ways (true is the default and is not printed), with a mask; per
// query block (q_block), the threshold and cumulative-mass rules, sinks
// and local blocks (0, the defaults, are not printed), a head group.

// CHECK-LABEL: func.func @moba
// CHECK: mask(#attn.causal) selection(<block = 64, k = 3, pool = mean>)
func.func @moba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean, keep_current = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @max_without_current
// CHECK: selection(<block = 16, k = 1, pool = max, keep_current = false>)
func.func @max_without_current(%q: tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 16, k = 1, pool = max, keep_current = false>)
       : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// CHECK-LABEL: func.func @min_with_lse
// CHECK: selection(<block = 3, k = 1000000, pool = min>)
func.func @min_with_lse(%q: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) {
  %o, %l = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 3, k = 1000000, pool = min>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %o, %l : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}

// CHECK-LABEL: func.func @query_block_mass
// CHECK: selection(<block = 64, k = 1000000, pool = mean, q_block = 64, mass = 9.000000e-01 : f64, sinks = 1>)
func.func @query_block_mass(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean, q_block = 64, mass = 0.9, sinks = 1, local = 0>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @token_threshold_local
// CHECK: selection(<block = 16, k = 4, pool = max, threshold = 5.000000e-02 : f64, local = 2>)
func.func @token_threshold_local(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 4, pool = max, q_block = 0, threshold = 0.05, local = 2>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @head_group
// CHECK: selection(<block = 8, k = 2, pool = mean, q_block = 8, head_group = true>)
func.func @head_group(%q: tensor<1x4x16x16xf32>, %k: tensor<1x2x16x16xf32>) -> tensor<1x4x16x16xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.causal)
       selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, q_block = 8, head_group = true>)
       : tensor<1x4x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x4x16x16xf32>
  return %o : tensor<1x4x16x16xf32>
}

// CHECK-LABEL: func.func @sum_pool
// CHECK: selection(<block = 8, k = 2, pool = sum>)
func.func @sum_pool(%q: tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 8, k = 2, pool = sum>)
       : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}

// A learned gate (SeerAttention): concatenated pools printed as a list, a
// single pool as one kind, and the projection operands in the group.
// CHECK-LABEL: func.func @seer_learned
// CHECK: selection(<block = 64, k = 4, pool = [max, min, mean], q_block = 64, gate = learned>, %{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<1x?x32xbf16>)
func.func @seer_learned(%q: tensor<?x?x?x?xf32>, %wq: tensor<?x?x?xf32>, %wk: tensor<1x?x32xbf16>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 4, pool = [max, min, mean], q_block = 64, gate = learned>,
                 %wq, %wk : tensor<?x?x?xf32>, tensor<1x?x32xbf16>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @one_pool_listed
// CHECK: selection(<block = 8, k = 2, pool = sum, q_block = 1, gate = learned>, %{{.*}}, %{{.*}} : tensor<2x16x4xf32>, tensor<2x16x4xf32>)
func.func @one_pool_listed(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x4xf32>, %wk: tensor<2x16x4xf32>) -> tensor<1x2x40x16xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 8, k = 2, pool = [sum], q_block = 1, gate = learned>, %wq, %wk : tensor<2x16x4xf32>, tensor<2x16x4xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// Proxy heads (ProxyAttn): a head group of G pooled heads.
// CHECK-LABEL: func.func @proxy_heads
// CHECK: selection(<block = 64, k = 1000000, pool = mean, q_block = 64, mass = 9.000000e-01 : f64, head_group = true, proxy_heads = 2>)
func.func @proxy_heads(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean, q_block = 64, mass = 0.9, head_group = true, proxy_heads = 2>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Per-head budgets (TCA): one cap per key head, printed as the array.
// CHECK-LABEL: func.func @head_budgets
// CHECK: selection(<block = 1, k = 160, pool = mean, local = 31, gate = given, budgets = [96, 160]>) block_scores(%{{.*}} : tensor<?x2x?xf32>)
func.func @head_budgets(%q: tensor<?x?x?x?xf32>, %k: tensor<?x2x?x?xf32>, %s: tensor<?x2x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.causal)
       selection(#attn.topk_blocks<block = 1, k = 160, pool = mean, local = 31, gate = given, budgets = [96, 160]>)
       block_scores(%s : tensor<?x2x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A rank band (SLA's marginal blocks) under a feature map: ranks [4, 12),
// linear attention in its quadratic form.
// CHECK-LABEL: func.func @rank_band_linear
// CHECK: feature_map(<softmax>) selection(<block = 64, k = 12, pool = mean, keep_current = false, q_block = 64, causal = false, skip = 4>) normalization(<identity, l1>)
func.func @rank_band_linear(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<softmax>)
       selection(#attn.topk_blocks<block = 64, k = 12, pool = mean, q_block = 64, keep_current = false, causal = false, skip = 4>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Given scores per query block (SVG-EAR's route): one row per query block.
// CHECK-LABEL: func.func @given_per_query_block
// CHECK: selection(<block = 64, k = 4, pool = mean, keep_current = false, q_block = 64, gate = given, causal = false>) block_scores(%{{.*}} : tensor<?x?x?x?xf32>)
func.func @given_per_query_block(%q: tensor<?x?x?x?xf32>, %s: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 64, k = 4, pool = mean, q_block = 64, keep_current = false, causal = false, gate = given>)
       block_scores(%s : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A score floor on given scores per query block (Rectified SpaAttn's gain
// test) and given scores per token row (q_block = 1, SEA's estimate).
// CHECK-LABEL: func.func @score_floor
// CHECK: selection(<block = 1, k = 1000000, pool = mean, keep_current = false, q_block = 64, gate = given, causal = false, min_score = 0.000000e+00 : f64>) block_scores(%{{.*}} : tensor<?x?x?x?xf32>)
// CHECK: selection(<block = 16, k = 8, pool = mean, keep_current = false, q_block = 1, gate = given>) block_scores(%{{.*}} : tensor<?x?x?x?xf32>)
func.func @score_floor(%q: tensor<?x?x?x?xf32>, %s: tensor<?x?x?x?xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 1, k = 1000000, pool = mean, q_block = 64, keep_current = false, causal = false, gate = given, min_score = 0.0>)
       block_scores(%s : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %p = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 8, pool = mean, q_block = 1, keep_current = false, gate = given>)
       block_scores(%s : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o, %p : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
}

// Every block eligible (causal = false; true is the default and is not
// printed), written in another order than the parameters'.
// CHECK-LABEL: func.func @noncausal_regions
// CHECK: selection(<block = 16, k = 4, pool = mean, keep_current = false, q_block = 16, causal = false>)
// CHECK-LABEL: func.func @causal_default
// CHECK: selection(<block = 16, k = 4, pool = mean>)
func.func @noncausal_regions(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<causal = false, block = 16, k = 4, pool = mean, q_block = 16, keep_current = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
func.func @causal_default(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 16, k = 4, pool = mean, causal = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A given gate: the caller's block scores follow the selection.
// CHECK-LABEL: func.func @given_scores
// CHECK: mask(#attn.causal) selection(<block = 1, k = 128, pool = mean, keep_current = false, gate = given, causal = false>) block_scores(%{{.*}} : tensor<?x?x?xf32>)
func.func @given_scores(%q: tensor<?x?x?x?xf32>, %s: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 1, k = 128, pool = mean, gate = given, keep_current = false, causal = false>)
       block_scores(%s : tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Representative keys (the block's first or last key) and the query
// selection (false, the default, is not printed).
// CHECK-LABEL: func.func @landmark_last
// CHECK: mask(#attn.causal) selection(<block = 50, k = 5, pool = last>)
func.func @landmark_last(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 50, k = 5, pool = last, select_queries = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @first_concatenated
// CHECK: selection(<block = 8, k = 2, pool = [first, last, mean], q_block = 8, gate = learned>, %{{.*}}, %{{.*}} : tensor<1x16x4xf32>, tensor<1x48x4xf32>)
func.func @first_concatenated(%q: tensor<1x2x32x16xf32>, %wq: tensor<1x16x4xf32>, %wk: tensor<1x48x4xf32>) -> tensor<1x2x32x16xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 8, k = 2, pool = [first, last, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<1x16x4xf32>, tensor<1x48x4xf32>)
       : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32> -> tensor<1x2x32x16xf32>
  return %o : tensor<1x2x32x16xf32>
}

// MoSA's expert choice: the selected tokens' rows only.
// CHECK-LABEL: func.func @select_queries
// CHECK: selection(<block = 1, k = 64, pool = mean, keep_current = false, gate = given, causal = false, select_queries = true>) block_scores(%{{.*}} : tensor<?x?x?xf32>)
func.func @select_queries(%q: tensor<?x?x?x?xf32>, %s: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 1, k = 64, pool = mean, gate = given, keep_current = false, causal = false, select_queries = true>)
       block_scores(%s : tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
