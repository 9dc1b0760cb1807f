// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of the row epilogue (#attn.epilogue, element-wise
// output gates) and of the affine normalizations (#attn.normalize<...,
// subtractive | mala>) on attn.attention, and of the attn_tile ops that
// lower them (kept_sums, affine_normalize, finalize's gate and epilogue).


// -----

func.func @eps_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.epilogue<rms_norm> eps must be positive and finite, got 0}}
  %o = attn.attention %q, %q, %q epilogue(#attn.epilogue<rms_norm, eps = 0.0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @eps_negative(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.epilogue<rms_norm> eps must be positive and finite, got -1.000000e-06}}
  %o = attn.attention %q, %q, %q epilogue(#attn.epilogue<rms_norm, eps = -1.0e-06>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @unknown_epilogue(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown epilogue 'layer_norm'; expected rms_norm}}
  %o = attn.attention %q, %q, %q epilogue(#attn.epilogue<layer_norm>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @unknown_epilogue_option(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown #attn.epilogue option 'weight'; expected 'eps = <float>'}}
  %o = attn.attention %q, %q, %q epilogue(#attn.epilogue<rms_norm, weight = 1.0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @gate_rank(%q: tensor<1x2x8x16xf32>, %g: tensor<2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{output_gate must have rank 3 [batch, heads, query] or 4 [batch, heads, query, value head_dim] (extent-1 dimensions broadcast), got rank 2}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<2x8xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @gate_channels(%q: tensor<1x2x8x16xf32>, %g: tensor<1x2x8x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{output_gate dimension 3 (value head_dim) is 8 but must be 1 or 16}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x8x8xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @gate_rows(%q: tensor<1x2x8x16xf32>, %g: tensor<1x2x4x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{output_gate dimension 2 (query length) is 4 but must be 1 or 8}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x4x16xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @gate_element_type(%q: tensor<1x2x8x16xf32>, %g: tensor<1x2x8x16xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{output_gate must have a floating-point element type, got 'i32'}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x8x16xi32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @epilogue_int8_pv(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{an epilogue cannot be combined with pv = int8}}
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = int8, pv = int8>) epilogue(#attn.epilogue<rms_norm>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @subtractive_softmax(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.normalize 'subtractive' corrects pointwise weights; softmax weights are already normalized}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<softmax, subtractive>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mala_l1(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.normalize 'mala' replaces 'l1'; they are not allowed together}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<identity, l1, mala>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @two_corrections(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.normalize takes one affine correction (subtractive or mala)}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<identity, subtractive, mala>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @unknown_normalize_option(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown #attn.normalize option 'divisive'; expected 'bias = <float>', 'l1', 'subtractive' or 'mala'}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<identity, divisive>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @subtractive_weight_mod(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{the subtractive normalization cannot be combined with a weight_mod}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<identity, subtractive>)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         attn.yield %w : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @kept_sums_value_rows(%m: tensor<4x8xf32>, %v: tensor<6x16xf32>, %n: tensor<4xf32>, %s: tensor<4x16xf32>) {
  // expected-error @+1 {{masked scores extent 1 (8) does not match value extent 0 (6)}}
  %n1, %s1 = attn_tile.kept_sums %m, %v into %n, %s : tensor<4x8xf32>, tensor<6x16xf32> -> tensor<4xf32>, tensor<4x16xf32>
  return
}

// -----

func.func @kept_sums_channels(%m: tensor<4x8xf32>, %v: tensor<8x16xf32>, %n: tensor<4xf32>, %s: tensor<4x12xf32>) {
  // expected-error @+1 {{value sum extent 1 (12) does not match value extent 1 (16)}}
  %n1, %s1 = attn_tile.kept_sums %m, %v into %n, %s : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4xf32>, tensor<4x12xf32>
  return
}

// -----

func.func @kept_sums_rows(%m: tensor<4x8xf32>, %v: tensor<8x16xf32>, %n: tensor<5xf32>, %s: tensor<4x16xf32>) {
  // expected-error @+1 {{count extent 0 (5) does not match masked scores extent 0 (4)}}
  %n1, %s1 = attn_tile.kept_sums %m, %v into %n, %s : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<5xf32>, tensor<4x16xf32>
  return
}

// -----

func.func @kept_sums_value_sum_rows(%m: tensor<4x8xf32>, %v: tensor<8x16xf32>, %n: tensor<4xf32>, %s: tensor<5x16xf32>) {
  // expected-error @+1 {{value sum extent 0 (5) does not match masked scores extent 0 (4)}}
  %n1, %s1 = attn_tile.kept_sums %m, %v into %n, %s : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4xf32>, tensor<5x16xf32>
  return
}

// -----

func.func @affine_normalize_without_correction(%a: tensor<4x16xf32>, %s: tensor<4xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{needs a normalization with an affine correction (subtractive or mala), got #attn.normalize<identity, l1>}}
  %o = attn_tile.affine_normalize %a, %s, %s, %a normalization(#attn.normalize<identity, l1>) : tensor<4x16xf32>, tensor<4xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @affine_normalize_rows(%a: tensor<4x16xf32>, %s: tensor<5xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{sum extent 0 (5) does not match accumulator extent 0 (4)}}
  %o = attn_tile.affine_normalize %a, %s, %s, %a normalization(#attn.normalize<identity, subtractive>) : tensor<4x16xf32>, tensor<5xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @finalize_gate_rank(%a: tensor<4x16xf32>, %m: tensor<4xf32>, %g: tensor<2x8xf32>, %i: index) -> tensor<4x16xf32> {
  // expected-error @+1 {{the gate must be a 3-D tensor [B|1, H|1, N|1] or a 4-D tensor [B|1, H|1, N|1, C|1], got 'tensor<2x8xf32>'}}
  %o = attn_tile.finalize %a, %m, %m gate(%g : tensor<2x8xf32> at %i, %i, %i, %i) : tensor<4x16xf32>, tensor<4xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @finalize_gate_channels(%a: tensor<4x16xf32>, %m: tensor<4xf32>, %g: tensor<1x1x8x12xf32>, %i: index) -> tensor<4x16xf32> {
  // expected-error @+1 {{gate extent 3 (12) does not match accumulator extent 1 (16)}}
  %o = attn_tile.finalize %a, %m, %m gate(%g : tensor<1x1x8x12xf32> at %i, %i, %i, %i) {epilogue = #attn.epilogue<rms_norm, eps = 1.0e-06>} : tensor<4x16xf32>, tensor<4xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}
