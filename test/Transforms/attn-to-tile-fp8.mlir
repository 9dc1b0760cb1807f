// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' | FileCheck %s
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 split-kv=3' | FileCheck %s --check-prefix=SPLIT

// FP8 Q K^T: float operands are quantized to FP8 per block of tokens and
// held dequantized in f32 (attn_tile.quantize_fp8), FP8 operands are
// decoded and multiplied by their scale operands (attn_tile.dequantize),
// once per call, before the work items; the work items then run the float
// path (attn_tile.load, attn_tile.scores): no integer kernels.

// CHECK-LABEL: func.func @pre_quantized
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xf8E4M3FN>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xf8E4M3FN>, %{{.*}}: tensor<?x?x?x?xf32>, %[[SQ:[a-z0-9]+]]: tensor<1x?x?xf32>, %[[SK:[a-z0-9]+]]: tensor<?x?x?xf32>
// CHECK: %[[KF:.*]] = attn_tile.dequantize %[[K]] scales(%[[SK]] block 4) : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: %[[QF:.*]] = attn_tile.dequantize %[[Q]] scales(%[[SQ]] block 2) : tensor<?x?x?x?xf8E4M3FN>, tensor<1x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.load %[[QF]]
// CHECK: attn_tile.load %[[KF]]
// CHECK: attn_tile.scores
// CHECK-NOT: attn_tile.quantized_scores
// SPLIT-LABEL: func.func @pre_quantized
// SPLIT: attn_tile.dequantize
// SPLIT: attn_tile.dequantize
// SPLIT: attn_tile.scores
// SPLIT-NOT: attn_tile.quantized_scores
func.func @pre_quantized(%q: tensor<?x?x?x?xf8E4M3FN>, %k: tensor<?x?x?x?xf8E4M3FN>, %v: tensor<?x?x?x?xf32>,
                         %sq: tensor<1x?x?xf32>, %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x?x?xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 2, k_block = 4>)
       : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// The compiler's FP8 (e5m2), K smoothed, FP8 P V.
// CHECK-LABEL: func.func @in_spec
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xbf16>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xbf16>, %[[V:[a-z0-9]+]]: tensor<?x?x?x?xbf16>
// CHECK-DAG: %[[QF:.*]] = attn_tile.quantize_fp8 %[[Q]] block(32) e5m2 : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK-DAG: %[[KF:.*]] = attn_tile.quantize_fp8 %[[K]] block(64) center e5m2 : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.fp8_channels %[[V]]
// CHECK-NOT: attn_tile.dequantize
// CHECK: attn_tile.load %[[QF]]
// CHECK: attn_tile.load %[[KF]]
// CHECK: attn_tile.scores
// CHECK-NOT: attn_tile.quantized_scores
func.func @in_spec(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = fp8_e5m2, q_block = 32, k_block = 64, smooth_k = true, pv = fp8_e4m3>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// keys_only: an e5m2 key cache against the float query.
// CHECK-LABEL: func.func @keys_only_cache
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xf32>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xf8E5M2>, %{{.*}}: tensor<?x?x?x?xf32>, %[[SK:[a-z0-9]+]]: tensor<?x?x?xf32>
// CHECK: %[[KF:.*]] = attn_tile.dequantize %[[K]] scales(%[[SK]] block 1) : tensor<?x?x?x?xf8E5M2>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.load %[[Q]]
// CHECK: attn_tile.load %[[KF]]
// CHECK: attn_tile.scores
func.func @keys_only_cache(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf8E5M2>, %v: tensor<?x?x?x?xf32>,
                           %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<?x?x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = fp8_e5m2, keys_only = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf8E5M2>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
