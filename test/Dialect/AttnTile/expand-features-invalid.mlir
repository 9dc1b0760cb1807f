// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of ExpandFeaturesOp::verify
// (lib/Dialect/AttnTile/AttnTileOps.cpp).

func.func @elementwise(%t: tensor<16x8xf32>) -> tensor<16x8xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op takes the maps of whole rows (hedgehog, taylor2, softmax); #attn.feature_map<relu> is attn_tile.feature_map}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<relu>) : tensor<16x8xf32> -> tensor<16x8xf32>
  return %a : tensor<16x8xf32>
}

// -----

func.func @rows(%t: tensor<16x8xf32>) -> tensor<8x73xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op result extent 0 (8) does not match tile extent 0 (16)}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<taylor2>) : tensor<16x8xf32> -> tensor<8x73xf32>
  return %a : tensor<8x73xf32>
}

// -----

func.func @taylor2_features(%t: tensor<16x8xf32>) -> tensor<16x72xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op result extent 1 (72) must be 1 + D + D^2 = 73}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<taylor2>) : tensor<16x8xf32> -> tensor<16x72xf32>
  return %a : tensor<16x72xf32>
}

// -----

func.func @taylor2_weights(%t: tensor<16x8xf32>, %w: tensor<1x3x8xf32>, %b: tensor<1x3xf32>, %h: index) -> tensor<16x73xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op #attn.feature_map<taylor2> takes no weights}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<taylor2>) weights(%w, %b : tensor<1x3x8xf32>, tensor<1x3xf32>) head %h
      : tensor<16x8xf32> -> tensor<16x73xf32>
  return %a : tensor<16x73xf32>
}

// -----

func.func @hedgehog_no_weights(%t: tensor<16x8xf32>) -> tensor<16x6xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op #attn.feature_map<hedgehog> needs weights(...) and a head}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<hedgehog>) : tensor<16x8xf32> -> tensor<16x6xf32>
  return %a : tensor<16x6xf32>
}

// -----

func.func @hedgehog_depth(%t: tensor<16x8xf32>, %w: tensor<1x3x4xf32>, %b: tensor<1x3xf32>, %h: index) -> tensor<16x6xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op weight extent 2 (4) does not match tile extent 1 (8)}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<hedgehog>) weights(%w, %b : tensor<1x3x4xf32>, tensor<1x3xf32>) head %h
      : tensor<16x8xf32> -> tensor<16x6xf32>
  return %a : tensor<16x6xf32>
}

// -----

func.func @hedgehog_bias(%t: tensor<16x8xf32>, %w: tensor<1x3x8xf32>, %b: tensor<1x4xf32>, %h: index) -> tensor<16x6xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op bias extent 1 (4) does not match weight extent 1 (3)}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<hedgehog>) weights(%w, %b : tensor<1x3x8xf32>, tensor<1x4xf32>) head %h
      : tensor<16x8xf32> -> tensor<16x6xf32>
  return %a : tensor<16x6xf32>
}

// -----

func.func @hedgehog_features(%t: tensor<16x8xf32>, %w: tensor<1x3x8xf32>, %b: tensor<1x3xf32>, %h: index) -> tensor<16x3xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op result extent 1 (3) must be twice the weight's features (6)}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<hedgehog>) weights(%w, %b : tensor<1x3x8xf32>, tensor<1x3xf32>) head %h
      : tensor<16x8xf32> -> tensor<16x3xf32>
  return %a : tensor<16x3xf32>
}

// -----

func.func @sequence_map_here(%t: tensor<16x8xf32>) -> tensor<16x8xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op applies one feature map, got #attn.feature_map<identity, keys = sequence_softmax> (pass the query or the key map alone)}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<identity, keys = sequence_softmax>) : tensor<16x8xf32> -> tensor<16x8xf32>
  return %a : tensor<16x8xf32>
}

// -----

func.func @softmax_features(%t: tensor<16x8xf32>) -> tensor<16x9xf32> {
  // expected-error @+1 {{'attn_tile.expand_features' op result extent 1 (9) must be D = 8}}
  %a = attn_tile.expand_features %t map(#attn.feature_map<softmax>) : tensor<16x8xf32> -> tensor<16x9xf32>
  return %a : tensor<16x9xf32>
}
