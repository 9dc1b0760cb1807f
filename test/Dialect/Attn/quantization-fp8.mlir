// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// FP8 Q K^T: the two schemes, pre-quantized f8E4M3FN / f8E5M2 operands with
// their scales, a float query against an FP8 key cache (keys_only), and
// the compiler's FP8 with K smoothing and FP8 P V round-trip.

// CHECK-LABEL: func.func @pre_quantized_e4m3
// CHECK: attn.attention
// CHECK-SAME: quantization({{(#attn.quantized_qk)?}}<scheme = fp8_e4m3, q_block = 4>)
// CHECK-SAME: tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32>
func.func @pre_quantized_e4m3(%q: tensor<1x2x8x16xf8E4M3FN>, %k: tensor<1x2x8x16xf8E4M3FN>, %v: tensor<1x2x8x16xf32>,
                              %sq: tensor<1x2x2xf32>, %sk: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x2x2xf32>) k_scale(%sk : tensor<1x2x8xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 4>)
       : tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf8E4M3FN>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @e5m2_cache
// CHECK: attn.attention
// CHECK-SAME: quantization({{(#attn.quantized_qk)?}}<scheme = fp8_e5m2, keys_only = true>)
func.func @e5m2_cache(%q: tensor<1x2x8x16xbf16>, %k: tensor<1x1x8x16xf8E5M2>, %v: tensor<1x1x8x16xbf16>,
                      %sk: tensor<1x1x8xf32>) -> tensor<1x2x8x16xbf16> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<1x1x8xf32>)
       quantization(#attn.quantized_qk<scheme = fp8_e5m2, keys_only = true>)
       : tensor<1x2x8x16xbf16>, tensor<1x1x8x16xf8E5M2>, tensor<1x1x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// CHECK-LABEL: func.func @in_spec
// CHECK: attn.attention
// CHECK-SAME: quantization({{(#attn.quantized_qk)?}}<scheme = fp8_e4m3, q_block = 128, k_block = 64, smooth_k = true, pv = fp8_e4m3>)
func.func @in_spec(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 128, k_block = 64, smooth_k = true, pv = fp8_e4m3>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
