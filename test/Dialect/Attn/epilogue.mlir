// RUN: attn-opt %s | FileCheck %s
// RUN: attn-opt %s | attn-opt | FileCheck %s

// The row epilogue, element-wise output gates and the affine
// normalizations print as they parse (eps always printed, 1e-6 when
// omitted), and so do the attn_tile ops that lower them.

// CHECK-LABEL: func.func @tnl
// CHECK: attn.attention %arg0, %arg1, %arg2 output_gate(%arg4 : tensor<?x?x?x?xf32>) decay(%arg3 : tensor<1x?x1xf32>) feature_map(<silu>) mask(#attn.causal) normalization(<identity>) scale(1.000000e+00) epilogue(<rms_norm, eps = 1.0e-06>)
func.func @tnl(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>, %a: tensor<1x?x1xf32>,
               %g: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v output_gate(%g : tensor<?x?x?x?xf32>)
       decay(%a : tensor<1x?x1xf32>) feature_map(#attn.feature_map<silu>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       epilogue(#attn.epilogue<rms_norm>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @softmax_rms
// CHECK: attn.attention %arg0, %arg0, %arg0 mask(#attn.causal) epilogue(<rms_norm, eps = 1.0e-03>)
func.func @softmax_rms(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       epilogue(#attn.epilogue<rms_norm, eps = 1.0e-3>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @subtractive
// CHECK: normalization(<identity, subtractive>)
// CHECK: normalization(<sigmoid, bias = -1.000000e+00, mala>)
func.func @subtractive(%q: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<relu>)
       normalization(#attn.normalize<identity, subtractive>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %p = attn.attention %q, %q, %q
       normalization(#attn.normalize<sigmoid, mala, bias = -1.0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @tile_ops
// CHECK: %[[N:.*]], %[[VS:.*]] = attn_tile.kept_sums %arg0, %arg1 into %arg2, %arg3 : tensor<4x8xf32>, tensor<8x?xf32> -> tensor<4xf32>, tensor<4x?xf32>
// CHECK: %[[A:.*]] = attn_tile.affine_normalize %arg3, %arg2, %[[N]], %[[VS]] normalization(<identity, subtractive>) : tensor<4x?xf32>, tensor<4xf32>
// CHECK: attn_tile.finalize %[[A]], %arg2, %arg2 gate(%arg4 : tensor<?x?x?x?xf32> at %arg5, %arg5, %arg5, %arg5) {epilogue = #attn.epilogue<rms_norm, eps = 1.0e-03>} : tensor<4x?xf32>, tensor<4xf32> -> tensor<4x?xbf16>
func.func @tile_ops(%m: tensor<4x8xf32>, %v: tensor<8x?xf32>, %r: tensor<4xf32>,
                    %acc: tensor<4x?xf32>, %g: tensor<?x?x?x?xf32>, %i: index)
    -> tensor<4x?xbf16> {
  %n, %vs = attn_tile.kept_sums %m, %v into %r, %acc
      : tensor<4x8xf32>, tensor<8x?xf32> -> tensor<4xf32>, tensor<4x?xf32>
  %a = attn_tile.affine_normalize %acc, %r, %n, %vs
      normalization(#attn.normalize<identity, subtractive>)
      : tensor<4x?xf32>, tensor<4xf32>
  %o = attn_tile.finalize %a, %r, %r gate(%g : tensor<?x?x?x?xf32> at %i, %i, %i, %i)
      {epilogue = #attn.epilogue<rms_norm, eps = 1.0e-3>}
      : tensor<4x?xf32>, tensor<4xf32> -> tensor<4x?xbf16>
  return %o : tensor<4x?xbf16>
}
