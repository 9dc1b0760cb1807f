// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of the quantization declaration (#attn.quantized_qk on
// attn.attention's `quantization`, the q_scale / k_scale operands): the
// attribute's parameters, element types, which scales must or must not be
// given, scale shapes, K smoothing, the i32 overflow bound on the head
// dimension and what it cannot be combined with. Value checks (scales <= 0
// or NaN, -128) are run-time checks: test/zoo/wave2-quant.mlir.

// Attribute parameters.
func.func @block_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk q_block must be positive, got 0}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, q_block = 0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @block_negative(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk k_block must be positive, got -64}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, k_block = -64>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @block_huge(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk k_block must be at most 2^40}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, k_block = 2199023255553>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @smooth_sign(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: smooth_k needs scheme = int8, int4 or fp8_*}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = sign, smooth_k = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Element types and which scales are given.
func.func @i8_without_quantization(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i8 query needs quantization(#attn.quantized_qk<scheme = int8, ...>) and a q_scale operand}}
  %o = attn.attention %q, %q, %v
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i8_with_sign(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i8 key needs quantization(#attn.quantized_qk<scheme = int8, ...>) and a k_scale operand}}
  %o = attn.attention %v, %q, %v quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i8_without_scale(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i8 key needs its k_scale operand}}
  %o = attn.attention %q, %q, %v q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_for_float(%q: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{q_scale is given for a float query, which the compiler quantizes itself (absmax / 127 per block); pass an i8 tensor to give the scales}}
  %o = attn.attention %q, %q, %q q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_without_quantization(%q: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_scale is given but there is no quantization(#attn.quantized_qk<...>)}}
  %o = attn.attention %q, %q, %q k_scale(%s : tensor<1x1x1xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// An i8 V is a value cache: it needs its own declaration (quantization
// declares Q K^T only).
func.func @value_i8(%q: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'i8' value needs value_quantization(#attn.quantized_v<...>) and a v_scale operand}}
  %o = attn.attention %q, %q, %q q_scale(%s : tensor<1x1x1xf32>) k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mixed_floats(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16> {
  // expected-error @+1 {{query, key and value must have the same element type (or i8/i4/f8 for a quantized query or key), got 'f32', 'f32' and 'bf16'}}
  %o = attn.attention %q, %q, %v quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// -----

func.func @output_type(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xbf16>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{output element type 'f32' must match the value element type 'bf16'}}
  %o = attn.attention %q, %q, %v q_scale(%s : tensor<1x1x1xf32>) k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Scale shapes.
func.func @scale_rank(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %sq: tensor<2x8xf32>, %sk: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{q_scale must be a rank-3 floating-point tensor [batch, heads, token blocks] (any of them may have extent 1), got 'tensor<2x8xf32>'}}
  %o = attn.attention %q, %q, %v q_scale(%sq : tensor<2x8xf32>) k_scale(%sk : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, q_block = 1>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_int(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %sq: tensor<1x1x1xf32>, %sk: tensor<1x2x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_scale must be a rank-3 floating-point tensor}}
  %o = attn.attention %q, %q, %v q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<1x2x8xi32>) quantization(#attn.quantized_qk<scheme = int8, q_block = 1>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_batch(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %sq: tensor<3x1x1xf32>, %sk: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{q_scale dimension 0 (batch) is 3 but must be 1}}
  %o = attn.attention %q, %q, %v q_scale(%sq : tensor<3x1x1xf32>) k_scale(%sk : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, q_block = 1>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_heads(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %sq: tensor<1x3x1xf32>, %sk: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{q_scale dimension 1 (heads) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %q, %v q_scale(%sq : tensor<1x3x1xf32>) k_scale(%sk : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, q_block = 1>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_tokens(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %sq: tensor<1x2x7xf32>, %sk: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{q_scale dimension 2 (token blocks, ceil(length / block)) is 7 but must be 1 or 8}}
  %o = attn.attention %q, %q, %v q_scale(%sq : tensor<1x2x7xf32>) k_scale(%sk : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, q_block = 1>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_blocks(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %sq: tensor<1x2x8xf32>, %sk: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{q_scale dimension 2 (token blocks, ceil(length / block)) is 8 but must be 1 or 3}}
  %o = attn.attention %q, %q, %v q_scale(%sq : tensor<1x2x8xf32>) k_scale(%sk : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, q_block = 3>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_key_blocks(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %sq: tensor<1x1x1xf32>, %sk: tensor<1x2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_scale dimension 2 (token blocks, ceil(length / block)) is 4 but must be 1 or 8}}
  %o = attn.attention %q, %q, %v q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<1x2x4xf32>) quantization(#attn.quantized_qk<scheme = int8, q_block = 1>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_key_heads(%q: tensor<1x4x8x16xi8>, %k: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>, %sk: tensor<1x4x1xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{k_scale dimension 1 (heads) is 4 but must be 1 or 2}}
  %o = attn.attention %q, %k, %v q_scale(%s : tensor<1x1x1xf32>) k_scale(%sk : tensor<1x4x1xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x4x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Smoothing, head dimension, combinations.
func.func @smooth_i8_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{smooth_k needs a float key (the compiler smooths before it quantizes), got 'tensor<1x2x8x16xi8>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, smooth_k = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @smooth_sigmoid(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{smooth_k needs softmax normalization (the per-row shift q . mean cancels only there), not sigmoid}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, smooth_k = true>) normalization(#attn.normalize<sigmoid>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @head_dim_overflow(%q: tensor<1x1x2x133145xf32>) -> tensor<1x1x2x133145xf32> {
  // expected-error @+1 {{head_dim 133145 is too large for int8 Q K^T: the i32 accumulator holds D * 127^2 only for D <= 133144}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x1x2x133145xf32>, tensor<1x1x2x133145xf32>, tensor<1x1x2x133145xf32> -> tensor<1x1x2x133145xf32>
  return %o : tensor<1x1x2x133145xf32>
}

// -----

// A selection (SpargeAttn) ranks blocks by float gates: pre-quantized Q or
// K cannot be pooled.
func.func @selection_i8_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a selection pools and ranks the float key rows, got a pre-quantized key 'tensor<1x2x8x16xi8>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) mask(#attn.causal) selection(#attn.topk_blocks<block = 4, k = 1, pool = mean>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @selection_i4_query(%q: tensor<1x2x8x16xi4>, %k: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a selection pools and ranks the float query rows, got a pre-quantized query 'tensor<1x2x8x16xi4>'}}
  %o = attn.attention %q, %k, %k q_scale(%s : tensor<1x1x1xf32>) mask(#attn.causal) selection(#attn.topk_blocks<block = 4, k = 1, pool = mean, q_block = 4>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @with_feature_map(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{quantization cannot be combined with a kernel (feature_map or decay)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<elu_plus_one>) quantization(#attn.quantized_qk<scheme = int8>) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Quantized P V (pv = int8): its weights must be softmax's, in [0, 1].
func.func @pv_sigmoid(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{pv = int8 needs softmax normalization (its weights exp(s - max) lie in [0, 1], quantized with the fixed scale 1/255), not sigmoid}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, pv = int8>) normalization(#attn.normalize<sigmoid>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @pv_weight_mod(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{pv = int8 cannot be combined with a weight_mod (modified weights are not in [0, 1])}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, pv = int8>) weight_mod {
  ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %w : f32
  } : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @pv_unknown(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+2 {{expected ::attn::PVPrecision to be one of: f32, int8}}
  // expected-error @+1 {{failed to parse Attn_QuantizedQKAttr parameter 'pv'}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, pv = int4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// INT4: the i32 accumulator holds D * 7^2.
func.func @int4_head_dim_overflow(%q: tensor<1x1x1x43826197xf32>) -> tensor<1x1x1x43826197xf32> {
  // expected-error @+1 {{head_dim 43826197 is too large for int4 Q K^T: the i32 accumulator holds D * 7^2 only for D <= 43826196}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x1x1x43826197xf32>, tensor<1x1x1x43826197xf32>, tensor<1x1x1x43826197xf32> -> tensor<1x1x1x43826197xf32>
  return %o : tensor<1x1x1x43826197xf32>
}

// -----

// Pre-quantized i4 operands (scheme = int4): scales required, only with
// int4, never for a float operand, an even head dimension (packed two per
// byte), no smoothing.
func.func @int4_scale_float_key(%q: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_scale is given for a float key, which the compiler quantizes itself (absmax / 7 per block); pass an i4 tensor to give the scales}}
  %o = attn.attention %q, %q, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @int4_i4_query_no_scale(%q: tensor<1x2x8x16xi4>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i4 query needs its q_scale operand}}
  %o = attn.attention %q, %v, %v quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i4_key_with_int8(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi4>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i4 key needs quantization(#attn.quantized_qk<scheme = int4, ...>) and a k_scale operand}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i8_key_with_int4(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i8 key needs quantization(#attn.quantized_qk<scheme = int8, ...>) and a k_scale operand}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i4_odd_head_dim(%q: tensor<1x2x8x13xi4>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i4 query is passed packed two values per byte along the head dimension, which must be even, got head_dim 13}}
  %o = attn.attention %q, %q, %v q_scale(%s : tensor<1x1x1xf32>) k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x13xi4>, tensor<1x2x8x13xi4>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i4_key_smooth_k(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi4>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{smooth_k needs a float key (the compiler smooths before it quantizes), got 'tensor<1x2x8x16xi4>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int4, smooth_k = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i4_sign(%q: tensor<1x2x8x16xi4>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an i4 query needs quantization(#attn.quantized_qk<scheme = int4, ...>) and a q_scale operand}}
  %o = attn.attention %q, %v, %v q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @smooth_q_sign(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: smooth_q needs scheme = int8 or int4}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = sign, smooth_q = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Q smoothing needs float Q (it centers it) and float K (the correction).
func.func @smooth_q_i8_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{smooth_q needs a float query and a float key (the compiler subtracts the query block means before it quantizes and adds back their dot products with the float keys), got a pre-quantized key 'tensor<1x2x8x16xi8>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, smooth_q = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @smooth_q_i8_query(%q: tensor<1x2x8x16xi8>, %k: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{smooth_q needs a float query and a float key (the compiler subtracts the query block means before it quantizes and adds back their dot products with the float keys), got a pre-quantized query 'tensor<1x2x8x16xi8>'}}
  %o = attn.attention %q, %k, %k q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, smooth_q = true>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// FP8 P V: fp8(F p) needs softmax's p in [0, 1].
func.func @fp8_pv_sigmoid(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{pv = fp8_e4m3 needs softmax normalization (its weights exp(s - max) lie in [0, 1], scaled by the fixed FP8 maximum), not sigmoid}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, pv = fp8_e4m3>) normalization(#attn.normalize<sigmoid>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @fp8_pv_weight_mod(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{pv = fp8_e5m2 cannot be combined with a weight_mod (modified weights are not in [0, 1])}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, pv = fp8_e5m2>) weight_mod {
  ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %w : f32
  }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @fp8_pv_epilogue(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an epilogue cannot be combined with pv = fp8_e4m3 (the derived error bound of the quantized weights does not hold through the row norm)}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int4, pv = fp8_e4m3>) epilogue(#attn.epilogue<rms_norm>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A rotation: with quantization only, float Q and K, [Hk|1, D, D], shared
// under a k_head_map, not with a selection.
func.func @rotation_without_quantization(%q: tensor<1x2x8x16xf32>, %r: tensor<1x16x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{rotation needs quantization(#attn.quantized_qk<...>): it rotates q and k before they are quantized (q R . k R = q . k for an orthogonal R)}}
  %o = attn.attention %q, %q, %q rotation(%r : tensor<1x16x16xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @rotation_i8_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>, %r: tensor<1x16x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{rotation needs a float key (the compiler rotates before it quantizes), got 'tensor<1x2x8x16xi8>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) rotation(%r : tensor<1x16x16xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @rotation_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %r: tensor<4x16x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{rotation dimension 0 (key heads) is 4 but must be 1 or 2}}
  %o = attn.attention %q, %k, %k rotation(%r : tensor<4x16x16xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @rotation_dim(%q: tensor<1x2x8x16xf32>, %r: tensor<2x16x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{rotation dimension 2 (head_dim) is 8 but must be 16}}
  %o = attn.attention %q, %q, %q rotation(%r : tensor<2x16x8xf32>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @rotation_rank(%q: tensor<1x2x8x16xf32>, %r: tensor<16x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{rotation must be a rank-3 floating-point tensor [key heads (or 1), head_dim, head_dim], got 'tensor<16x16xf32>'}}
  %o = attn.attention %q, %q, %q rotation(%r : tensor<16x16xf32>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @rotation_head_map(%q: tensor<1x2x8x16xf32>, %m: tensor<2xi32>, %r: tensor<2x16x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a rotation per key head needs the GQA of the shapes: with a k_head_map the rotation must be shared, [1, D, D], got 'tensor<2x16x16xf32>'}}
  %o = attn.attention %q, %q, %q k_head_map(%m : tensor<2xi32>) rotation(%r : tensor<2x16x16xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @rotation_selection(%q: tensor<1x2x8x16xf32>, %r: tensor<1x16x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{rotation cannot be combined with a selection}}
  %o = attn.attention %q, %q, %q rotation(%r : tensor<1x16x16xf32>) mask(#attn.causal) selection(#attn.topk_blocks<block = 4, k = 1, pool = mean>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// keys_only (KV-cache quantization): a float query, no query quantization.
func.func @keys_only_sign(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: keys_only needs scheme = int8, int4 or fp8_* (a float query against signs has no declared meaning)}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = sign, keys_only = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @keys_only_smooth_q(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: keys_only keeps the query float, so smooth_q has nothing to smooth}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, keys_only = true, smooth_q = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @keys_only_q_block(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: keys_only keeps the query float, so q_block (32) has no meaning}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, q_block = 32, keys_only = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @keys_only_i8_query(%q: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{keys_only keeps the query float, got a pre-quantized query 'tensor<1x2x8x16xi8>'}}
  %o = attn.attention %q, %k, %k q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8, keys_only = true>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @keys_only_selection(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @+1 {{keys_only cannot be combined with a selection (not declared yet)}}
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 16, k = 2, pool = mean>) quantization(#attn.quantized_qk<scheme = int8, keys_only = true>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

// Mixed precision: salient_bits with int4, in 5..8, with its k_salient
// flags of the right shape and type, for a float key.
func.func @salient_int8_scheme(%q: tensor<1x2x8x16xf32>, %m: tensor<1x2x8xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: salient_bits needs scheme = int4 (salient key blocks at more bits than the others), got scheme = int8}}
  %o = attn.attention %q, %q, %q k_salient(%m : tensor<1x2x8xi1>) quantization(#attn.quantized_qk<scheme = int8, salient_bits = 8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @salient_bits_range(%q: tensor<1x2x8x16xf32>, %m: tensor<1x2x8xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: salient_bits must lie in 5..8 (more than int4's 4 bits, at most int8's), got 9}}
  %o = attn.attention %q, %q, %q k_salient(%m : tensor<1x2x8xi1>) quantization(#attn.quantized_qk<scheme = int4, salient_bits = 9>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @salient_without_flags(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{salient_bits = 8 needs a k_salient operand (the flags of the key blocks quantized at more bits)}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int4, salient_bits = 8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @flags_without_salient_bits(%q: tensor<1x2x8x16xf32>, %m: tensor<1x2x8xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_salient is given but the quantization declares no salient_bits}}
  %o = attn.attention %q, %q, %q k_salient(%m : tensor<1x2x8xi1>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @flags_without_quantization(%q: tensor<1x2x8x16xf32>, %m: tensor<1x2x8xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_salient is given but there is no quantization(#attn.quantized_qk<...>)}}
  %o = attn.attention %q, %q, %q k_salient(%m : tensor<1x2x8xi1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @flags_of_a_cache(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi4>, %s: tensor<1x2x8xf32>, %m: tensor<1x2x8xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_salient needs a float key (the compiler quantizes each block at its own precision), got 'tensor<1x2x8x16xi4>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x2x8xf32>) k_salient(%m : tensor<1x2x8xi1>) quantization(#attn.quantized_qk<scheme = int4, keys_only = true, salient_bits = 8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @flags_type(%q: tensor<1x2x8x16xf32>, %m: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_salient must be a rank-3 i1 or i8 tensor [batch, key heads, key blocks] (any of them may have extent 1), got 'tensor<1x2x8xf32>'}}
  %o = attn.attention %q, %q, %q k_salient(%m : tensor<1x2x8xf32>) quantization(#attn.quantized_qk<scheme = int4, salient_bits = 8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @flags_blocks(%q: tensor<1x2x40x16xf32>, %m: tensor<1x2x4xi1>) -> tensor<1x2x40x16xf32> {
  // expected-error @+1 {{k_salient dimension 2 (key blocks, ceil(length / k_block)) is 4 but must be 1 or 3}}
  %o = attn.attention %q, %q, %q k_salient(%m : tensor<1x2x4xi1>) quantization(#attn.quantized_qk<scheme = int4, k_block = 16, salient_bits = 8>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// -----

func.func @flags_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<1x4x1xi8>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{k_salient dimension 1 (key heads) is 4 but must be 1 or 2}}
  %o = attn.attention %q, %k, %k k_salient(%m : tensor<1x4x1xi8>) quantization(#attn.quantized_qk<scheme = int4, salient_bits = 6>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// low_rank (BiPFT's factored residual estimate): with quantized Q K^T on
// float Q and K, factors [Hq|1, D, R] and [Hk|1, D, R].
func.func @low_rank_without_quantization(%q: tensor<1x2x8x16xf32>, %u: tensor<1x16x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{low_rank needs quantization(#attn.quantized_qk<...>): it estimates the quantization's residual of q . k}}
  %o = attn.attention %q, %q, %q low_rank(%u, %u : tensor<1x16x4xf32>, tensor<1x16x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @low_rank_i8_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi8>, %s: tensor<1x1x1xf32>, %u: tensor<1x16x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{low_rank needs a float key (the factors project the float rows), got 'tensor<1x2x8x16xi8>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) low_rank(%u, %u : tensor<1x16x4xf32>, tensor<1x16x4xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @low_rank_smooth_q(%q: tensor<1x2x8x16xf32>, %u: tensor<1x16x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{low_rank cannot be combined with smooth_q (one float score term)}}
  %o = attn.attention %q, %q, %q low_rank(%u, %u : tensor<1x16x4xf32>, tensor<1x16x4xf32>) quantization(#attn.quantized_qk<scheme = int8, smooth_q = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @low_rank_rank2(%q: tensor<1x2x8x16xf32>, %u: tensor<16x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{low_rank U must be a rank-3 floating-point tensor [heads (or 1), head_dim, rank], got 'tensor<16x4xf32>'}}
  %o = attn.attention %q, %q, %q low_rank(%u, %u : tensor<16x4xf32>, tensor<16x4xf32>) quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @low_rank_head_dim(%q: tensor<1x2x8x16xf32>, %u: tensor<1x16x4xf32>, %w: tensor<1x8x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{low_rank W dimension 1 (head_dim) is 8 but must be 16}}
  %o = attn.attention %q, %q, %q low_rank(%u, %w : tensor<1x16x4xf32>, tensor<1x8x4xf32>) quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @low_rank_ranks(%q: tensor<1x2x8x16xf32>, %u: tensor<1x16x4xf32>, %w: tensor<1x16x3xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{low_rank W dimension 2 (rank of U) is 3 but must be 4}}
  %o = attn.attention %q, %q, %q low_rank(%u, %w : tensor<1x16x4xf32>, tensor<1x16x3xf32>) quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @low_rank_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %u: tensor<2x16x4xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{low_rank U dimension 0 (query heads) is 2 but must be 1 or 4}}
  %o = attn.attention %q, %k, %k low_rank(%u, %u : tensor<2x16x4xf32>, tensor<2x16x4xf32>) quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}
