// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of a pre-quantized V (#attn.quantized_v on attn.attention's
// `value_quantization`, the v_scale operand): the attribute's parameters,
// V's element type against the declared scheme, a missing or extra scale,
// its rank, element type and extents per token block and per channel, the
// result's float type, and the combinations that are not lowered. Value
// checks (scales <= 0 or NaN, -128, FP8 NaN) are run-time checks:
// test/tools/attn-run/quantization-value.mlir.

func.func @scheme_int4(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_v: scheme must be int8, fp8_e4m3 or fp8_e5m2 (a pre-quantized i8 or FP8 value), got int4}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int4, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @block_zero(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_v block must be positive, got 0}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token, block = 0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @channel_block(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_v: block (4) needs per = token (channel scales cover all tokens)}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x16xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = channel, block = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @unknown_granularity(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+2 {{expected ::attn::VScaleGranularity to be one of: token, channel}}
  // expected-error @+1 {{failed to parse}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x16xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = head>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i8_value_without_declaration(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'i8' value needs value_quantization(#attn.quantized_v<...>) and a v_scale operand}}
  %o = attn.attention %q, %q, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i8_value_without_scale(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'i8' value needs its v_scale operand}}
  %o = attn.attention %q, %q, %v value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @fp8_value_without_declaration(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf8E4M3FN>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'f8E4M3FN' value needs value_quantization(#attn.quantized_v<...>) and a v_scale operand}}
  %o = attn.attention %q, %q, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E4M3FN> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_without_declaration(%q: tensor<1x2x8x16xf32>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{v_scale is given but there is no value_quantization(#attn.quantized_v<...>)}}
  %o = attn.attention %q, %q, %q v_scale(%s : tensor<1x2x8xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @float_value_declared(%q: tensor<1x2x8x16xf32>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{value_quantization declares a pre-quantized value, got a float value 'tensor<1x2x8x16xf32>'}}
  %o = attn.attention %q, %q, %q v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @fp8_format_mismatch(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf8E5M2>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{value_quantization declares scheme = fp8_e4m3, whose value is f8E4M3FN, got 'tensor<1x2x8x16xf8E5M2>'}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = fp8_e4m3, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E5M2> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @int8_scheme_fp8_value(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf8E4M3FN>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{value_quantization declares scheme = int8, whose value is i8, got 'tensor<1x2x8x16xf8E4M3FN>'}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E4M3FN> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @i4_value(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi4>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{operand #2 must be 4D tensor of 32-bit float or 16-bit float or bfloat16 type or 8-bit signless integer or f8E4M3FN type or f8E5M2 type values}}
  %o = attn.attention %q, %q, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi4> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The result's float type: an integer result is not a float output.
func.func @integer_result(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xi8> {
  // expected-error @+1 {{result #0 must be 4D tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xi8>
  return %o : tensor<1x2x8x16xi8>
}

// -----

// A float query and key have the result's type.
func.func @query_not_result_type(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xbf16> {
  // expected-error @+1 {{query, key and value must have the same element type (or i8/i4/f8 for a quantized query or key), got 'f32', 'f32' and 'bf16'}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// -----

func.func @scale_rank(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{v_scale must be a rank-3 f32, f16 or bf16 tensor [batch, value heads, token blocks] (any of them may have extent 1), got 'tensor<2x8xf32>'}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_integer(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x16xi8>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{v_scale must be a rank-3 f32, f16 or bf16 tensor [batch, value heads, value head_dim] (any of them may have extent 1), got 'tensor<1x2x16xi8>'}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x16xi8>) value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x4x8xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{v_scale dimension 1 (value heads) is 4 but must be 1 or 2}}
  %o = attn.attention %q, %k, %v v_scale(%s : tensor<1x4x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @scale_batch(%q: tensor<2x2x8x16xf32>, %v: tensor<2x2x8x16xi8>, %s: tensor<3x2x8xf32>) -> tensor<2x2x8x16xf32> {
  // expected-error @+1 {{v_scale dimension 0 (batch) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<3x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xi8> -> tensor<2x2x8x16xf32>
  return %o : tensor<2x2x8x16xf32>
}

// -----

func.func @scale_tokens(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{v_scale dimension 2 (token blocks, ceil(key length / block)) is 16 but must be 1 or 8}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x16xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_token_blocks(%q: tensor<1x2x9x16xf32>, %v: tensor<1x2x9x16xi8>, %s: tensor<1x2x2xf32>) -> tensor<1x2x9x16xf32> {
  // expected-error @+1 {{v_scale dimension 2 (token blocks, ceil(key length / block)) is 2 but must be 1 or 3}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x2xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = token, block = 4>)
       : tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32>, tensor<1x2x9x16xi8> -> tensor<1x2x9x16xf32>
  return %o : tensor<1x2x9x16xf32>
}

// -----

func.func @scale_channels(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x12xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x12xf32> {
  // expected-error @+1 {{v_scale dimension 2 (value head_dim (per = channel)) is 8 but must be 1 or 12}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>) value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x12xi8> -> tensor<1x2x8x12xf32>
  return %o : tensor<1x2x8x12xf32>
}

// -----

// pv = int8 quantizes a float V itself: not with a value cache.
func.func @with_int8_pv(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a pre-quantized value cannot be combined with pv = int8 (which quantizes a float value itself)}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>)
       quantization(#attn.quantized_qk<scheme = int8, pv = int8>)
       value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @with_kernel(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a pre-quantized value cannot be combined with a kernel (feature_map or decay) (not lowered)}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x8xf32>)
       feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal)
       value_quantization(#attn.quantized_v<scheme = int8, per = token>) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
