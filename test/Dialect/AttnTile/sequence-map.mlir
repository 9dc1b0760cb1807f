// RUN: attn-opt %s | attn-opt | FileCheck %s

// The key maps over the whole key sequence, and a row softmax, round-trip.

// CHECK-LABEL: func.func @maps
// CHECK: attn_tile.sequence_map %{{.*}} map(<softmax, keys = sequence_softmax>) : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.sequence_map %{{.*}} map(<identity, keys = sequence_scale>) : tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
// CHECK: attn_tile.expand_features %{{.*}} map(<softmax>) : tensor<16x4xf32> -> tensor<16x4xf32>
func.func @maps(%k: tensor<?x?x?x?xbf16>, %k2: tensor<1x2x8x4xf32>, %t: tensor<16x4xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<1x2x8x4xf32>, tensor<16x4xf32>) {
  %a = attn_tile.sequence_map %k map(#attn.feature_map<softmax, keys = sequence_softmax>) : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  %b = attn_tile.sequence_map %k2 map(#attn.feature_map<identity, keys = sequence_scale>) : tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  %c = attn_tile.expand_features %t map(#attn.feature_map<softmax>) : tensor<16x4xf32> -> tensor<16x4xf32>
  return %a, %b, %c : tensor<?x?x?x?xf32>, tensor<1x2x8x4xf32>, tensor<16x4xf32>
}
