// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))'
// The tile program forms the GPU kernel does not implement are refused on
// the tile op that needs them, at the spec's location.

func.func @feature_map(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.feature_map' op a linear-attention feature map in the quadratic form (a mask other than causal, split-KV or linear-chunk = 0; the GPU runs the chunked causal and the global forms) has no GPU lowering yet (it runs on the CPU through the tile program)}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<elu_plus_one>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @decay(%q: tensor<1x2x8x16xf32>, %d: tensor<1x2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.decay_prefix' op a decay in the quadratic form (a mask other than causal, split-KV or linear-chunk = 0; the GPU runs the chunked causal and the global forms) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q decay(%d : tensor<1x2x8xf32>) mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @quantized(%q: tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16> {
  // expected-error @below {{'attn_tile.quantize' op in-spec INT8 quantization of a float Q or K (attn_tile.quantize; the GPU runs pre-quantized i8 Q and K with their scales) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q
       quantization(#attn.quantized_qk<scheme = int8, q_block = 8, k_block = 8>)
       : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// -----

// Selections by the dot gate or given scores run (select.mlir); a learned
// gate is refused by name (select-unsupported.mlir).
func.func @selection(%q: tensor<1x2x64x16xf32>, %wq: tensor<1x16x8xf32>, %wk: tensor<1x16x8xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @below {{'attn_tile.pool_keys' op block selection by a learned gate has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, q_block = 16, gate = learned>, %wq, %wk : tensor<1x16x8xf32>, tensor<1x16x8xf32>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @subtractive(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.kept_sums' op an affine normalization (subtractive or mala) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<relu, subtractive>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @epilogue(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.finalize' op a row epilogue has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) epilogue(#attn.epilogue<rms_norm>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @element_gate(%q: tensor<1x2x8x16xf32>, %g: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.finalize' op an element-wise output_gate has no GPU lowering yet}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x8x16xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @dynamic(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  // expected-error @below {{'scf.forall' op reads Q, K or V of dynamic shape: the GPU kernel needs static shapes (specialize the spec first)}}
  %o = attn.attention %q, %q, %q
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// A value cache (#attn.quantized_v): V is dequantized once per call on the
// CPU only.
func.func @value_cache(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xi8>, %s: tensor<1x2x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @below {{'attn_tile.dequantize' op a dequantized operand (an FP8 Q or K, an INT8 key cache with keys_only, a value cache) has no GPU lowering yet}}
  %o = attn.attention %q, %q, %v v_scale(%s : tensor<1x2x16xf32>) mask(#attn.causal)
       value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xi8> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
