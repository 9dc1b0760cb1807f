// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of KeyWeightsOp::verify
// (lib/Dialect/AttnTile/AttnTileOps.cpp).

func.func @not_a_cross_map(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn_tile.key_weights' op applies a key map that reads the queries (keys = query_weighted or flow), got #attn.feature_map<identity, keys = sequence_scale>}}
  %a = attn_tile.key_weights %q, %q map(#attn.feature_map<identity, keys = sequence_scale>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %a : tensor<1x2x8x4xf32>
}

// -----

func.func @flow_without_row_gate(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn_tile.key_weights' op with keys = flow has a row_gate result}}
  %a = attn_tile.key_weights %q, %q map(#attn.feature_map<sigmoid, keys = flow>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %a : tensor<1x2x8x4xf32>
}

// -----

func.func @row_gate_without_flow(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn_tile.key_weights' op has a row_gate result with keys = flow only}}
  %a, %g = attn_tile.key_weights %q, %q map(#attn.feature_map<relu, keys = query_weighted>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>, tensor<1x2x8xf32>
  return %a : tensor<1x2x8x4xf32>
}

// -----

func.func @keys_take_the_query_heads(%q: tensor<1x4x8x4xf32>, %k: tensor<1x2x6x4xf32>) -> tensor<1x2x6x4xf32> {
  // expected-error @+1 {{'attn_tile.key_weights' op keys extent 1 (2) does not match query extent 1 (4)}}
  %a = attn_tile.key_weights %q, %k map(#attn.feature_map<relu, keys = query_weighted>) : tensor<1x4x8x4xf32>, tensor<1x2x6x4xf32> -> tensor<1x2x6x4xf32>
  return %a : tensor<1x2x6x4xf32>
}

// -----

func.func @keys_take_the_key_tokens(%q: tensor<1x4x8x4xf32>, %k: tensor<1x2x6x4xf32>) -> tensor<1x4x8x4xf32> {
  // expected-error @+1 {{'attn_tile.key_weights' op keys extent 2 (8) does not match key extent 2 (6)}}
  %a = attn_tile.key_weights %q, %k map(#attn.feature_map<relu, keys = query_weighted>) : tensor<1x4x8x4xf32>, tensor<1x2x6x4xf32> -> tensor<1x4x8x4xf32>
  return %a : tensor<1x4x8x4xf32>
}

// -----

func.func @head_dims(%q: tensor<1x4x8x4xf32>, %k: tensor<1x2x6x5xf32>) -> tensor<1x4x6x5xf32> {
  // expected-error @+1 {{'attn_tile.key_weights' op key extent 3 (5) does not match query extent 3 (4)}}
  %a = attn_tile.key_weights %q, %k map(#attn.feature_map<relu, keys = query_weighted>) : tensor<1x4x8x4xf32>, tensor<1x2x6x5xf32> -> tensor<1x4x6x5xf32>
  return %a : tensor<1x4x6x5xf32>
}

// -----

func.func @row_gate_rows(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn_tile.key_weights' op row_gate extent 2 (7) does not match query extent 2 (8)}}
  %a, %g = attn_tile.key_weights %q, %q map(#attn.feature_map<sigmoid, keys = flow>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>, tensor<1x2x7xf32>
  return %a : tensor<1x2x8x4xf32>
}
