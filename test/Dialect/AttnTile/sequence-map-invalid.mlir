// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of SequenceMapOp::verify and FeatureMapOp::verify
// (lib/Dialect/AttnTile/AttnTileOps.cpp).

func.func @not_a_sequence_map(%k: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn_tile.sequence_map' op applies a sequence key map (keys = sequence_softmax or sequence_scale), got #attn.feature_map<softmax>}}
  %a = attn_tile.sequence_map %k map(#attn.feature_map<softmax>) : tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %a : tensor<1x2x8x4xf32>
}

// -----

func.func @extent(%k: tensor<1x2x8x4xf32>) -> tensor<1x2x7x4xf32> {
  // expected-error @+1 {{'attn_tile.sequence_map' op result extent 2 (7) does not match source extent 2 (8)}}
  %a = attn_tile.sequence_map %k map(#attn.feature_map<identity, keys = sequence_scale>) : tensor<1x2x8x4xf32> -> tensor<1x2x7x4xf32>
  return %a : tensor<1x2x7x4xf32>
}

// -----

func.func @row_map_elementwise(%t: tensor<16x8xf32>) -> tensor<16x8xf32> {
  // expected-error @+1 {{'attn_tile.feature_map' op takes the elementwise maps; #attn.feature_map<softmax> is attn_tile.expand_features}}
  %a = attn_tile.feature_map %t map(#attn.feature_map<softmax>) : tensor<16x8xf32>
  return %a : tensor<16x8xf32>
}

// -----

func.func @two_maps(%t: tensor<16x8xf32>) -> tensor<16x8xf32> {
  // expected-error @+1 {{'attn_tile.feature_map' op applies one feature map, got #attn.feature_map<relu, keys = exp> (pass the query or the key map alone)}}
  %a = attn_tile.feature_map %t map(#attn.feature_map<relu, keys = exp>) : tensor<16x8xf32>
  return %a : tensor<16x8xf32>
}
