// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// A pre-quantized V (a value cache, #attn.quantized_v): i8 per token, FP8
// per channel and per block of tokens, with a float or INT8 Q K^T; the
// output's float type is the result type, apart from V's.

// CHECK-LABEL: func.func @int8_per_token
// CHECK: attn.attention
// CHECK-SAME: v_scale(%{{.*}} : tensor<1x2x8xf32>)
// CHECK-SAME: value_quantization({{(#attn.quantized_v)?}}<scheme = int8, per = token>)
// CHECK-SAME: tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
func.func @int8_per_token(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>,
                          %sv: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<1x2x8xf32>) mask(#attn.causal)
       value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @fp8_per_channel_bf16
// CHECK: attn.attention
// CHECK-SAME: value_quantization({{(#attn.quantized_v)?}}<scheme = fp8_e4m3, per = channel>)
// CHECK-SAME: tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xf8E4M3FN> -> tensor<?x?x?x?xbf16>
func.func @fp8_per_channel_bf16(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xf8E4M3FN>,
                                %sv: tensor<1x?x?xf32>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<1x?x?xf32>)
       value_quantization(#attn.quantized_v<scheme = fp8_e4m3, per = channel>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xf8E4M3FN> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// CHECK-LABEL: func.func @int8_kv_cache
// CHECK: attn.attention
// CHECK-SAME: quantization({{(#attn.quantized_qk)?}}<scheme = int8, keys_only = true>)
// CHECK-SAME: value_quantization({{(#attn.quantized_v)?}}<scheme = fp8_e5m2, per = token, block = 4>)
// CHECK-SAME: tensor<1x4x9x16xf16>, tensor<1x2x9x16xi8>, tensor<1x2x9x8xf8E5M2> -> tensor<1x4x9x8xf16>
func.func @int8_kv_cache(%q: tensor<1x4x9x16xf16>, %k: tensor<1x2x9x16xi8>, %v: tensor<1x2x9x8xf8E5M2>,
                         %sk: tensor<1x2x9xf32>, %sv: tensor<1x2x3xf16>) -> tensor<1x4x9x8xf16> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<1x2x9xf32>) v_scale(%sv : tensor<1x2x3xf16>)
       quantization(#attn.quantized_qk<scheme = int8, keys_only = true>)
       value_quantization(#attn.quantized_v<scheme = fp8_e5m2, per = token, block = 4>)
       : tensor<1x4x9x16xf16>, tensor<1x2x9x16xi8>, tensor<1x2x9x8xf8E5M2> -> tensor<1x4x9x8xf16>
  return %o : tensor<1x4x9x8xf16>
}
