// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(attn-to-tile,convert-attn-tile-to-gpu))'
// The quantized forms the GPU kernel does not implement (it runs
// pre-quantized INT8 Q and K with their scales, quant-int8.mlir) are refused
// by name on the tile op that needs them, at the spec's location.

// In-spec INT8 quantization (SageAttention: float Q and K, K smoothing).
func.func @in_spec_int8(%q: tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16> {
  // expected-error @below {{'attn_tile.quantize' op in-spec INT8 quantization of a float Q or K (attn_tile.quantize; the GPU runs pre-quantized i8 Q and K with their scales) has no GPU lowering yet (it runs on the CPU through the tile program)}}
  %o = attn.attention %q, %q, %q
       quantization(#attn.quantized_qk<scheme = int8, q_block = 8, k_block = 8, smooth_k = true>)
       : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// -----

// In-spec INT4 (SageAttention2).
func.func @in_spec_int4(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.quantize' op in-spec INT4 quantization (attn_tile.quantize range(7)) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q
       quantization(#attn.quantized_qk<scheme = int4, q_block = 8, k_block = 8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Pre-quantized INT4 operands.
func.func @int4_operands(%q: tensor<1x2x8x16xi4>, %v: tensor<1x2x8x16xf32>,
                         %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.unpack_int4' op INT4 Q K^T (pre-quantized i4 operands) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %v q_scale(%s : tensor<1x1x1xf32>) k_scale(%s : tensor<1x1x1xf32>)
       quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xi4>, tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// 1-bit signs (BinaryAttention).
func.func @signs(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.sign' op 1-bit (sign) Q K^T has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// In-spec FP8 Q K^T.
func.func @fp8(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{op FP8 (e4m3, e5m2) Q K^T has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 8, k_block = 8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Pre-quantized FP8 operands: dequantized once per call on the CPU.
func.func @fp8_operands(%q: tensor<1x2x8x16xf8E4M3FN>, %v: tensor<1x2x8x16xf32>,
                        %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.dequantize' op a dequantized operand (an FP8 Q or K, an INT8 key cache with keys_only, a value cache) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %v q_scale(%s : tensor<1x1x1xf32>) k_scale(%s : tensor<1x1x1xf32>)
       quantization(#attn.quantized_qk<scheme = fp8_e4m3>)
       : tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// INT8 P V on pre-quantized INT8 Q and K.
func.func @int8_pv(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xf32>,
                   %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.quantize_channels' op quantized P V (pv = int8 or fp8, value caches) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %v q_scale(%s : tensor<1x1x1xf32>) k_scale(%s : tensor<1x1x1xf32>)
       quantization(#attn.quantized_qk<scheme = int8, pv = int8>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// An i8 value cache per channel with pre-quantized INT8 Q and K.
func.func @value_cache(%q: tensor<1x2x8x16xi8>, %v: tensor<1x2x8x16xi8>,
                       %s: tensor<1x1x1xf32>, %sv: tensor<1x2x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.dequantize' op a dequantized operand (an FP8 Q or K, an INT8 key cache with keys_only, a value cache) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %v q_scale(%s : tensor<1x1x1xf32>) k_scale(%s : tensor<1x1x1xf32>)
       v_scale(%sv : tensor<1x2x16xf32>)
       quantization(#attn.quantized_qk<scheme = int8>)
       value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
       : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A float query against an INT8 key cache (the query is quantized per call).
func.func @float_query_int8_keys(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi8>,
                                 %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.quantize' op in-spec INT8 quantization of a float Q or K}}
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>)
       quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// SageAttention2's Q smoothing (block means out, a float correction added
// to the quantized scores).
func.func @smooth_q(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.center' op Q or K smoothing (attn_tile.center) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q
       quantization(#attn.quantized_qk<scheme = int8, q_block = 8, smooth_q = true>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
