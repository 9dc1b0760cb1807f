// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(convert-attn-to-loops))'

// Row epilogues, element-wise output gates and affine normalizations are
// lowered through the tile program only: the untiled lowering refuses them
// with a located diagnostic. The GPU kernel refuses their tile ops
// (test/Conversion/TileToGPU/unsupported.mlir).

func.func @epilogue(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{declares a row epilogue or an element-wise output_gate: it is lowered through the tile program only}}
  %o = attn.attention %q, %q, %q mask(#attn.causal) epilogue(#attn.epilogue<rms_norm>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @element_gate(%q: tensor<1x2x8x16xf32>, %g: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{declares a row epilogue or an element-wise output_gate: it is lowered through the tile program only}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x8x16xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @subtractive(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{declares an affine normalization (subtractive or mala): it is lowered through the tile program only}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<relu, subtractive>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

