// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of FP8 Q K^T (#attn.quantized_qk<scheme = fp8_e4m3 |
// fp8_e5m2>): which element type goes with which scheme, which scales must
// or must not be given, their shapes, and what FP8 is not declared with.
// Value checks (NaN / infinity patterns, scales <= 0) are run-time checks:
// test/tools/attn-run/quantization-fp8.mlir.

func.func @f8_query_int8(%q: tensor<1x2x8x16xf8E4M3FN>, %k: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'f8E4M3FN' query needs quantization(#attn.quantized_qk<scheme = fp8_e4m3, ...>) and a q_scale operand}}
  %o = attn.attention %q, %k, %k q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @e5m2_key_e4m3_scheme(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf8E5M2>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'f8E5M2' key needs quantization(#attn.quantized_qk<scheme = fp8_e5m2, ...>) and a k_scale operand}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = fp8_e4m3>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E5M2>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @f8_without_quantization(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf8E5M2>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'f8E5M2' key needs quantization(#attn.quantized_qk<scheme = fp8_e5m2, ...>) and a k_scale operand}}
  %o = attn.attention %q, %k, %q
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E5M2>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @f8_key_without_scale(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf8E4M3FN>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an f8E4M3FN key needs its k_scale operand}}
  %o = attn.attention %q, %k, %q quantization(#attn.quantized_qk<scheme = fp8_e4m3>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @scale_for_float_query(%q: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{q_scale is given for a float query, which the compiler quantizes itself (absmax / 57344 per block); pass an f8E5M2 tensor to give the scales}}
  %o = attn.attention %q, %q, %q q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = fp8_e5m2>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A scale of the wrong shape: [B|1, Hk|1, 1|ceil(Nk / k_block)].
func.func @scale_shape(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf8E4M3FN>, %s: tensor<1x2x3xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{k_scale dimension 2 (token blocks, ceil(length / block)) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x2x3xf32>) quantization(#attn.quantized_qk<scheme = fp8_e4m3, k_block = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @smooth_q_fp8(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: smooth_q needs scheme = int8 or int4}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = fp8_e4m3, smooth_q = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @smooth_k_f8_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf8E4M3FN>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{smooth_k needs a float key (the compiler smooths before it quantizes), got 'tensor<1x2x8x16xf8E4M3FN>'}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = fp8_e4m3, smooth_k = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @salient_fp8(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.quantized_qk: salient_bits needs scheme = int4 (salient key blocks at more bits than the others), got scheme = fp8_e4m3}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = fp8_e4m3, salient_bits = 8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @low_rank_fp8(%q: tensor<1x2x8x16xf32>, %u: tensor<1x16x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{low_rank cannot be combined with scheme = fp8_e5m2 (not declared for FP8 Q K^T)}}
  %o = attn.attention %q, %q, %q low_rank(%u, %u : tensor<1x16x4xf32>, tensor<1x16x4xf32>) quantization(#attn.quantized_qk<scheme = fp8_e5m2>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @selection_fp8(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a selection cannot be combined with scheme = fp8_e4m3 (not declared for FP8 Q K^T)}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) selection(#attn.topk_blocks<block = 4, k = 1, pool = mean>) quantization(#attn.quantized_qk<scheme = fp8_e4m3>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @rotation_f8_query(%q: tensor<1x2x8x16xf8E4M3FN>, %k: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>, %r: tensor<1x16x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{rotation needs a float query (the compiler rotates before it quantizes), got 'tensor<1x2x8x16xf8E4M3FN>'}}
  %o = attn.attention %q, %k, %k q_scale(%s : tensor<1x1x1xf32>) rotation(%r : tensor<1x16x16xf32>) quantization(#attn.quantized_qk<scheme = fp8_e4m3>)
       : tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @keys_only_f8_query(%q: tensor<1x2x8x16xf8E4M3FN>, %k: tensor<1x2x8x16xf32>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{keys_only keeps the query float, got a pre-quantized query 'tensor<1x2x8x16xf8E4M3FN>'}}
  %o = attn.attention %q, %k, %k q_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = fp8_e4m3, keys_only = true>)
       : tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// An FP8 V is a value cache: quantization (FP8 Q K^T) does not declare it.
func.func @f8_value(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf8E4M3FN>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an 'f8E4M3FN' value needs value_quantization(#attn.quantized_v<...>) and a v_scale operand}}
  %o = attn.attention %q, %q, %v quantization(#attn.quantized_qk<scheme = fp8_e4m3>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf8E4M3FN> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
