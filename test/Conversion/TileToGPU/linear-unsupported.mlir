// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu))'
// The linear-attention forms the GPU kernels lack are refused on the tile
// op that needs them, at the spec's location, naming the form; the O(N)
// forms with elementwise maps or maps of whole rows (hedgehog, taylor2,
// softmax) and a decay (per head, per key position or per key channel)
// lower (linear.mlir).

func.func @window_hedgehog(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.expand_features' op a feature map of whole rows (hedgehog, taylor2, softmax) in the quadratic form (a mask other than causal, split-KV or linear-chunk = 0; the GPU runs the chunked causal and the global forms) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q
       feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x4x16xf32>, tensor<2x4xf32>)
       mask(#attn.window<left = 3, right = 0>) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// taylor2 at D = 64: 4161 features, a state of 4161 rows that no chunk fits.
func.func @taylor2_too_wide(%q: tensor<1x2x8x64xf32>) -> tensor<1x2x8x64xf32> {
  // expected-error @below {{the linear-attention kernel needs 421104 bytes of shared memory per block with chunks of 8 and 8 value columns (head dim 64, 4161 features), more than max-shared-bytes = 101376}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<taylor2>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32> -> tensor<1x2x8x64xf32>
  return %o : tensor<1x2x8x64xf32>
}

// -----

func.func @sequence_map(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.sequence_map' op a key map over the sequence (sequence_softmax, sequence_scale) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<identity, keys = sequence_scale>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @key_weights(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.key_weights' op key weights (query_weighted, flow) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<elu_plus_one, keys = query_weighted>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @window_token_decay(%q: tensor<1x2x8x16xf32>, %d: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.decay_prefix' op a decay in the quadratic form (a mask other than causal, split-KV or linear-chunk = 0; the GPU runs the chunked causal and the global forms) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q decay(%d : tensor<1x2x8xf32>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 4, right = 0>]>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @window_channel_gate(%q: tensor<1x2x8x16xf32>, %g: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.decay_prefix' op a gate per key channel (a rank-4 decay) in the quadratic form (a mask other than causal, split-KV or linear-chunk = 0; the GPU runs the chunked causal and the global forms) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q decay(%g : tensor<1x2x8x16xf32>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 4, right = 0>]>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @subtractive_chunked(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.kept_sums' op an affine normalization (subtractive or mala) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<relu>) mask(#attn.causal)
       normalization(#attn.normalize<identity, subtractive>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The row epilogue needs a whole row (Dv = 4096 columns) in one block.
func.func @epilogue_too_wide(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x4096xf32>) -> tensor<1x2x8x4096xf32> {
  // expected-error @below {{the linear-attention kernel needs 525664 bytes of shared memory per block with chunks of 8 and 4096 value columns (head dim 16; the row epilogue needs all 4096 value columns in one block), more than max-shared-bytes = 101376}}
  %o = attn.attention %q, %q, %v feature_map(#attn.feature_map<silu>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x4096xf32> -> tensor<1x2x8x4096xf32>
  return %o : tensor<1x2x8x4096xf32>
}

// -----

// A mask other than causal: the quadratic form, whose feature map and decay
// the FlashAttention-2 kernel does not run.
func.func @window_feature_map(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.feature_map' op a linear-attention feature map in the quadratic form (a mask other than causal, split-KV or linear-chunk = 0; the GPU runs the chunked causal and the global forms) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<elu_plus_one>)
       mask(#attn.window<left = 4, right = 0>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @window_decay(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.decay_prefix' op a decay in the quadratic form (a mask other than causal, split-KV or linear-chunk = 0; the GPU runs the chunked causal and the global forms) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x1xf32>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 4, right = 0>]>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The state of D = 2048 does not fit even with chunks of 8 and 8 columns.
func.func @too_wide(%q: tensor<1x1x8x2048xf32>) -> tensor<1x1x8x2048xf32> {
  // expected-error @below {{the linear-attention kernel needs 197440 bytes of shared memory per block with chunks of 8 and 8 value columns (head dim 2048), more than max-shared-bytes = 101376}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<relu>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x1x8x2048xf32>, tensor<1x1x8x2048xf32>, tensor<1x1x8x2048xf32> -> tensor<1x1x8x2048xf32>
  return %o : tensor<1x1x8x2048xf32>
}
