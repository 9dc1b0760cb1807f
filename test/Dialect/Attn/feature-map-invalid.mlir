// RUN: attn-opt %s -split-input-file -verify-diagnostics

// The feature maps that change the feature dimension (hedgehog, taylor2):
// the weight and bias operands of hedgehog (which maps take them, ranks,
// element types, every extent, F = 0) and what a feature map cannot be
// combined with. Value checks happen in the runner and the reference.

func.func @hedgehog_without_weights(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.feature_map<hedgehog> needs its weight and bias operands: feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<Hq x F x D x f>, tensor<Hq x F x f>)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @weights_for_an_elementwise_map(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op feature_map weight and bias operands are given but #attn.feature_map<relu> takes none (only hedgehog does)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<relu>, %w, %b : tensor<2x4x16xf32>, tensor<2x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @weights_for_taylor2(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op feature_map weight and bias operands are given but #attn.feature_map<taylor2> takes none (only hedgehog does)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<taylor2>, %w, %b : tensor<2x4x16xf32>, tensor<2x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The generic form can give the operands without the attribute.
func.func @weights_without_feature_map(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op feature_map weight and bias operands are given but there is no feature_map}}
  %o = "attn.attention"(%q, %q, %q, %w, %b) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0>}> ({}, {}, {})
       : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<2x4x16xf32>, tensor<2x4xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @only_a_weight(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.feature_map<hedgehog> needs its weight and bias operands}}
  %o = "attn.attention"(%q, %q, %q, %w) <{feature_map = #attn.feature_map<hedgehog>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0>}> ({}, {}, {})
       : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<2x4x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @one_operand(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{expected ','}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w : tensor<2x4x16xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @weight_rank(%q: tensor<1x2x8x16xf32>, %w: tensor<4x16xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op the feature_map weight must be a rank-3 floating-point tensor [query heads (or 1), features F, head_dim], got 'tensor<4x16xf32>'}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<4x16xf32>, tensor<2x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @integer_weight(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xi8>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op the feature_map weight must be a rank-3 floating-point tensor [query heads (or 1), features F, head_dim], got 'tensor<2x4x16xi8>'}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x4x16xi8>, tensor<2x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @bias_rank(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>, %b: tensor<2x4x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op the feature_map bias must be a rank-2 floating-point tensor [query heads (or 1), features F], got 'tensor<2x4x1xf32>'}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x4x16xf32>, tensor<2x4x1xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @no_features(%q: tensor<1x2x8x16xf32>, %w: tensor<2x0x16xf32>, %b: tensor<2x0xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op the feature_map weight has 0 features (F, dimension 1): F must be at least 1}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x0x16xf32>, tensor<2x0xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @weight_heads(%q: tensor<1x2x8x16xf32>, %w: tensor<3x4x16xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op feature_map weight dimension 0 (query heads) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<3x4x16xf32>, tensor<2x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @weight_head_dim(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x8xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op feature_map weight dimension 2 (head_dim) is 8 but must be 16}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x4x8xf32>, tensor<2x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @bias_heads(%q: tensor<1x2x8x16xf32>, %w: tensor<1x4x16xf32>, %b: tensor<4x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op feature_map bias dimension 0 (query heads) is 4 but must be 1 or 2}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<1x4x16xf32>, tensor<4x4xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @bias_features(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>, %b: tensor<2x5xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op feature_map bias dimension 1 (features F of the weight) is 5 but must be 4}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x4x16xf32>, tensor<2x5xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @hedgehog_quantized(%q: tensor<1x2x8x16xf32>, %w: tensor<2x4x16xf32>, %b: tensor<2x4xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op quantization cannot be combined with a kernel (feature_map or decay)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x4x16xf32>, tensor<2x4xf32>)
       quantization(#attn.quantized_qk<scheme = int8>) normalization(#attn.normalize<identity, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @taylor2_selection(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op selection takes only a feature map that keeps the feature dimension and maps each key on its own (not hedgehog, taylor2 or keys = sequence or query-weighted kinds), got #attn.feature_map<taylor2>}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<taylor2>) mask(#attn.causal)
       selection(#attn.topk_blocks<block = 4, k = 2, pool = mean>)
       normalization(#attn.normalize<identity, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A decay still needs its causal mask and identity normalization.
func.func @taylor2_decay_softmax(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op decay needs the identity normalization (optionally with l1), not softmax}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x1xf32>) feature_map(#attn.feature_map<taylor2>) mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Separate query and key maps (Efficient Attention): a sequence map is a
// key map only, maps that change the feature dimension take no partner,
// and a sequence key map is non-causal.

func.func @sequence_map_on_queries(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.feature_map<sequence_softmax> normalizes over the key sequence: it is a key map only (#attn.feature_map<identity, keys = sequence_softmax>)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<sequence_softmax>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @taylor2_with_another_key_map(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.feature_map<taylor2> changes the feature dimension and cannot be combined with another map (keys = relu)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<taylor2, keys = relu>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @unknown_key_map(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown feature map 'softmin'; expected elu_plus_one, relu, sigmoid, exp, silu, hedgehog, taylor2, identity, softmax, sequence_softmax, sequence_scale, query_weighted or flow}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<softmax, keys = softmin>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @missing_keys_keyword(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{expected 'keys = <feature map>' after the query map}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<softmax, sequence_softmax>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @sequence_softmax_causal(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op keys = sequence_softmax normalizes each key feature over all the keys, which a causal mask forbids (there is no causal or chunked form of it); use it without #attn.causal}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<softmax, keys = sequence_softmax>)
       mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Causal anywhere in the mask counts.
func.func @sequence_scale_causal_window(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op keys = sequence_scale normalizes each key feature over all the keys, which a causal mask forbids}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<identity, keys = sequence_scale>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 4, right = 0>]>) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The key maps that read the queries (RALA's query_weighted, Flowformer's
// flow): key maps only, next to an elementwise query map, non-causal,
// without a decay or a k_head_map, and flow without an output gate.

func.func @flow_on_queries(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.feature_map<flow> weights the keys from the queries: it is a key map only (#attn.feature_map<elu_plus_one, keys = flow>)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<flow>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @query_weighted_after_a_row_map(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{keys = query_weighted maps the keys with the query map, which must be elementwise (elu_plus_one, relu, sigmoid, exp, silu, identity), got softmax}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<softmax, keys = query_weighted>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @query_weighted_causal(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op keys = query_weighted weights each key from all the queries and keys, which a causal mask forbids (there is no causal or chunked form of it)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<elu_plus_one, keys = query_weighted>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 3, right = 0>]>)
       normalization(#attn.normalize<identity, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @flow_with_k_head_map(%q: tensor<1x2x8x16xf32>, %m: tensor<2xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op keys = flow reads the key head of the GQA shapes; a k_head_map is not supported with it}}
  %o = attn.attention %q, %q, %q k_head_map(%m : tensor<2xi32>)
       feature_map(#attn.feature_map<sigmoid, keys = flow>)
       normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @flow_with_output_gate(%q: tensor<1x2x8x16xf32>, %g: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op keys = flow multiplies each output row by its allocation factor, which takes the place of the output_gate; the two cannot be combined}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x8xf32>)
       feature_map(#attn.feature_map<sigmoid, keys = flow>)
       normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
