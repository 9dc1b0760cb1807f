// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of the selection declaration (#attn.topk_blocks on
// attn.attention's `selection`): its parameters and what it cannot be
// combined with.

func.func @k_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks k must be positive, got 0}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 0, pool = mean>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @k_negative(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks k must be positive, got -2}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = -2, pool = mean>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @block_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks block must be positive, got 0}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 0, k = 2, pool = mean>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @block_too_large(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks block must be at most 2^40 (1099511627776), got 1099511627777}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 1099511627777, k = 2, pool = mean>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @pool_unknown(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+2 {{expected one of [mean, max, min, sum, first, last] for how the keys of a block are pooled into one key, got: median}}
  // expected-error @+1 {{failed to parse Attn_TopKBlocksAttr parameter 'pool'}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = median>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @pool_missing(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{struct is missing required parameter: pool}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @unknown_parameter(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{duplicate or unknown struct parameter name: gamma}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, gamma = 3>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @not_a_selection(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{invalid kind of attribute specified}}
  %o = attn.attention %q, %q, %q selection(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A decayed state runs over every earlier key: no selection restricts it.
func.func @with_decay(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op selection cannot be combined with a decay (the decayed state runs over every earlier key)}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x8xf32>)
       feature_map(#attn.feature_map<relu>) mask(#attn.causal)
       selection(#attn.topk_blocks<block = 4, k = 2, pool = mean>)
       normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A key map over the whole sequence weighs keys the selection drops.
func.func @with_sequence_keys(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op selection takes only a feature map that keeps the feature dimension and maps each key on its own (not hedgehog, taylor2 or keys = sequence or query-weighted kinds), got #attn.feature_map<softmax, keys = sequence_softmax>}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<softmax, keys = sequence_softmax>)
       selection(#attn.topk_blocks<block = 4, k = 2, pool = mean>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @negative_q_block(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks q_block must be non-negative, got -1}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = -1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @negative_sinks(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks sinks must be non-negative, got -2}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, sinks = -2>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @huge_local(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks local must be at most 2^40 (1099511627776), got 1099511627777}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, local = 1099511627777>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @threshold_and_mass(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks takes threshold or mass, not both}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, threshold = 0.1, mass = 0.9>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @threshold_above_one(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks threshold must be in [0, 1], got 1.500000e+00}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, threshold = 1.5>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @negative_threshold(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks threshold must be in [0, 1], got -2.500000e-01}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, threshold = -0.25>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @zero_mass(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks mass must be in (0, 1], got 0.000000e+00}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, mass = 0.0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mass_above_one(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks mass must be in (0, 1], got 1.250000e+00}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = 8, mass = 1.25>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @head_group_per_token(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks head_group needs q_block}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, head_group = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A head group is the GQA group of the shapes, not a map's.
func.func @head_group_with_map(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<4xi32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op selection with head_group cannot be combined with k_head_map}}
  %o = attn.attention %q, %k, %k k_head_map(%m : tensor<4xi32>)
       selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = 4, head_group = true>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @proxy_heads_without_group(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks proxy_heads needs head_group}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = 4, proxy_heads = 2>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @proxy_heads_negative(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks proxy_heads must be non-negative, got -1}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = 4, head_group = true, proxy_heads = -1>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @proxy_heads_query_heads(%q: tensor<1x6x8x16xf32>, %k: tensor<1x3x8x16xf32>) -> tensor<1x6x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op selection proxy_heads = 4 must divide the query heads (6)}}
  %o = attn.attention %q, %k, %k selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = 4, head_group = true, proxy_heads = 4>)
       : tensor<1x6x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x6x8x16xf32>
  return %o : tensor<1x6x8x16xf32>
}

// -----

func.func @proxy_heads_key_heads(%q: tensor<1x6x8x16xf32>, %k: tensor<1x3x8x16xf32>) -> tensor<1x6x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op selection proxy_heads = 2 must divide the key heads (3)}}
  %o = attn.attention %q, %k, %k selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = 4, head_group = true, proxy_heads = 2>)
       : tensor<1x6x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x6x8x16xf32>
  return %o : tensor<1x6x8x16xf32>
}

// -----

func.func @causal_not_bool(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+2 {{integer value too large}}
  // expected-error @+1 {{failed to parse Attn_TopKBlocksAttr parameter 'causal' which is to be a `bool`}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, causal = 2>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @given_gate_head_group(%q: tensor<1x2x8x16xf32>, %s: tensor<1x2x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks gate = given cannot be combined with head_group (the scores are per key head)}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, q_block = 4, head_group = true, gate = given>) block_scores(%s : tensor<1x2x2xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @given_gate_without_scores(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op a given selection gate needs its scores: block_scores(%s : tensor<B x Hk x ceil(Nk / block) x f>)}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, gate = given>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scores_without_given_gate(%q: tensor<1x2x8x16xf32>, %s: tensor<1x2x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores is given but the selection's gate is not given (gate = given takes it)}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean>) block_scores(%s : tensor<1x2x2xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scores_without_selection(%q: tensor<1x2x8x16xf32>, %s: tensor<1x2x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores is given but there is no selection}}
  %o = attn.attention %q, %q, %q block_scores(%s : tensor<1x2x2xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scores_rank(%q: tensor<1x2x8x16xf32>, %s: tensor<2x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores must be a rank-3 floating-point tensor [B|1, Hk|1, key blocks], got 'tensor<2x2xf32>'}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, gate = given>) block_scores(%s : tensor<2x2xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scores_blocks(%q: tensor<1x2x9x16xf32>, %s: tensor<1x2x2xf32>) -> tensor<1x2x9x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores dimension 2 (key blocks ceil(Nk / block)) is 2 but must be 3}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, gate = given>) block_scores(%s : tensor<1x2x2xf32>)
       : tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32> -> tensor<1x2x9x16xf32>
  return %o : tensor<1x2x9x16xf32>
}

// -----

func.func @scores_heads(%q: tensor<1x2x8x16xf32>, %s: tensor<1x3x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores dimension 1 (key heads) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, gate = given>) block_scores(%s : tensor<1x3x2xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @select_queries_current(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks select_queries needs keep_current = false (the current block is always kept, so every query would be)}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, select_queries = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @select_queries_query_block(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks select_queries is per token: q_block must be 0}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, keep_current = false, q_block = 4, select_queries = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Per-head budgets (TCA): one entry per key head, each in [0, k], not with
// proxy heads.
func.func @budgets_above_k(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks budget of key head 1 must lie in [0, k = 4], got 5}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 4, pool = mean, budgets = [2, 5]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @budgets_negative(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks budget of key head 0 must lie in [0, k = 4], got -1}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 4, pool = mean, budgets = [-1, 2]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @budgets_empty(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks budgets needs one entry per key head, got none}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 4, pool = mean, budgets = []>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @budgets_proxy_heads(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks budgets are per key head: they cannot be combined with proxy_heads}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, q_block = 4, head_group = true, proxy_heads = 2, budgets = [1, 2, 1, 2]>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @budgets_key_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op selection budgets has 3 entries but there are 2 key heads (one budget per key head)}}
  %o = attn.attention %q, %k, %k selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, budgets = [1, 2, 1]>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Rank band: skip below k.
func.func @skip_not_below_k(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks skip (2) must be below k (2): the band [skip, k) would be empty}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, skip = 2>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @skip_negative(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks skip must be non-negative, got -1}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, skip = -1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Given scores per query block: rank 4, one row per query block.
func.func @given_query_block_rank(%q: tensor<1x2x8x16xf32>, %s: tensor<1x2x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores must be a rank-4 floating-point tensor [B|1, Hk|1, query blocks ceil(Nq / q_block), key blocks] (q_block > 0), got 'tensor<1x2x2xf32>'}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, q_block = 4, gate = given>) block_scores(%s : tensor<1x2x2xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @given_query_blocks(%q: tensor<1x2x9x16xf32>, %s: tensor<1x2x2x3xf32>) -> tensor<1x2x9x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores dimension 2 (query blocks ceil(Nq / q_block)) is 2 but must be 3}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, q_block = 4, gate = given>) block_scores(%s : tensor<1x2x2x3xf32>)
       : tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32> -> tensor<1x2x9x16xf32>
  return %o : tensor<1x2x9x16xf32>
}

// -----

func.func @given_query_block_key_blocks(%q: tensor<1x2x9x16xf32>, %s: tensor<1x2x3x2xf32>) -> tensor<1x2x9x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_scores dimension 3 (key blocks ceil(Nk / block)) is 2 but must be 3}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, q_block = 4, gate = given>) block_scores(%s : tensor<1x2x3x2xf32>)
       : tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32> -> tensor<1x2x9x16xf32>
  return %o : tensor<1x2x9x16xf32>
}

// -----

// Score floor: finite.
func.func @min_score_infinite(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks min_score must be finite, got INF}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 4, k = 2, pool = mean, min_score = 0x7FF0000000000000 : f64>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
