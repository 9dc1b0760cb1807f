// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of a learned selection gate (SeerAttention's AttnGate:
// concatenated pools, gate = learned and its projection operands Wq
// [Hq|1, D, Dg], Wk [Hk|1, P*D, Dg]).

func.func @empty_pool(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<2x48x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks pool must name at least one pooling kind}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [], q_block = 8, gate = learned>, %wq, %wk : tensor<2x16x8xf32>, tensor<2x48x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @concat_needs_learned(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks with 3 concatenated pools needs gate = learned (the pooled key is 3 x D wide)}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean]>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @learned_needs_q_block(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<2x48x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks gate = learned needs q_block (the gate projects pooled queries; q_block = 1 is per token)}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], gate = learned>, %wq, %wk : tensor<2x16x8xf32>, tensor<2x48x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @learned_head_group(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<2x16x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{#attn.topk_blocks gate = learned cannot be combined with head_group}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, q_block = 8, head_group = true, gate = learned>, %wq, %wk : tensor<2x16x8xf32>, tensor<2x16x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @unknown_pool(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<2x48x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+2 {{expected one of [mean, max, min, sum, first, last] for how the keys of a block are pooled into one key, got: median}}
  // expected-error @+1 {{failed to parse Attn_TopKBlocksAttr parameter 'pool'}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, median], q_block = 8, gate = learned>, %wq, %wk : tensor<2x16x8xf32>, tensor<2x48x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @unknown_gate(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+2 {{expected one of [dot, learned, given] for how the block gate is computed from the pooled queries and keys, got: mlp}}
  // expected-error @+1 {{failed to parse Attn_TopKBlocksAttr parameter 'gate'}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, gate = mlp>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @learned_without_weights(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op a learned selection gate needs its projections: selection(#attn.topk_blocks<..., gate = learned>, %wq, %wk : tensor<Hq x D x Dg x f>, tensor<Hk x P*D x Dg x f>)}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @weights_without_learned(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<2x16x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op gate weight operands are given but the selection's gate is not learned (gate = learned takes them)}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, q_block = 8>, %wq, %wk : tensor<2x16x8xf32>, tensor<2x16x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @wq_rank(%q: tensor<1x2x40x16xf32>, %wq: tensor<16x8xf32>, %wk: tensor<2x48x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op the selection's gate_q_weight must be a rank-3 floating-point tensor [heads (or 1), pooled width, gate width Dg], got 'tensor<16x8xf32>'}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<16x8xf32>, tensor<2x48x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @wk_integer(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<2x48x8xi32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op the selection's gate_k_weight must be a rank-3 floating-point tensor [heads (or 1), pooled width, gate width Dg], got 'tensor<2x48x8xi32>'}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<2x16x8xf32>, tensor<2x48x8xi32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @wq_heads(%q: tensor<1x2x40x16xf32>, %wq: tensor<3x16x8xf32>, %wk: tensor<2x48x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op gate_q_weight dimension 0 (query heads) is 3}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<3x16x8xf32>, tensor<2x48x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @wq_head_dim(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x12x8xf32>, %wk: tensor<2x48x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op gate_q_weight dimension 1 (head_dim) is 12 but must be 16}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<2x12x8xf32>, tensor<2x48x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @wk_pooled_width(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<2x32x8xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op gate_k_weight dimension 1 (pools x head_dim) is 32 but must be 48}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<2x16x8xf32>, tensor<2x32x8xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @gate_width_mismatch(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x8xf32>, %wk: tensor<1x48x4xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op gate_k_weight dimension 2 (gate width Dg of gate_q_weight) is 4 but must be 8}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<2x16x8xf32>, tensor<1x48x4xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @gate_width_zero(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x0xf32>, %wk: tensor<2x48x0xf32>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{'attn.attention' op the selection's gate_q_weight has gate width 0 (Dg, dimension 2): Dg must be at least 1}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, min, mean], q_block = 8, gate = learned>, %wq, %wk : tensor<2x16x0xf32>, tensor<2x48x0xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

