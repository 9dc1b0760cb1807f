// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the attn dialect: the op verifier
// (lib/Dialect/Attn/AttnOps.cpp), the attribute verifiers and parsers
// (lib/Dialect/Attn/AttnAttrs.cpp), and the ODS and core constraints a
// malformed spec runs into first (types, region isolation, terminators).

// Q, K and V element types differ.
func.func @elt_mismatch_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf16>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query, key and value must have the same element type (or i8/i4/f8 for a quantized query or key), got 'f32', 'f16' and 'f32'}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// V element type differs.
func.func @elt_mismatch_value(%q: tensor<1x2x8x16xbf16>, %k: tensor<1x2x8x16xbf16>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xbf16> {
  // expected-error @+1 {{'attn.attention' op query, key and value must have the same element type (or i8/i4/f8 for a quantized query or key), got 'bf16', 'bf16' and 'f32'}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// -----

// Output element type differs from the query's.
func.func @elt_mismatch_output(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf16> {
  // expected-error @+1 {{'attn.attention' op output element type 'f16' must match the value element type 'f32'}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf16>
  return %o : tensor<1x2x8x16xf16>
}

// -----

// Integer operands are rejected by the ODS type constraint.
func.func @non_float_query(%q: tensor<1x2x8x16xi32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op operand #0 must be 4D tensor of 32-bit float or 16-bit float or bfloat16 type or 8-bit signless integer or 4-bit signless integer or f8E4M3FN type or f8E5M2 type values, but got 'tensor<1x2x8x16xi32>'}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xi32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Q must have rank 4.
func.func @rank3_query(%q: tensor<2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op operand #0 must be 4D tensor of 32-bit float or 16-bit float or bfloat16 type or 8-bit signless integer or 4-bit signless integer or f8E4M3FN type or f8E5M2 type values, but got 'tensor<2x8x16xf32>'}}
  %o = attn.attention %q, %k, %v
       : tensor<2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Key batch differs.
func.func @key_batch(%q: tensor<1x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op key dimension 0 (batch) is 2 but must be 1}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Value batch differs.
func.func @value_batch(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<3x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op value dimension 0 (batch) is 3 but must be 1}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<3x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Key head_dim differs from the query's.
func.func @key_head_dim(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x32xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op key dimension 3 (head_dim of the query) is 32 but must be 16}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Value heads differ from the key's.
func.func @value_heads(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x1x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op value dimension 1 (key/value heads of the key) is 1 but must be 2}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Value length differs from the key's.
func.func @value_length(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x9x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op value dimension 2 (key length of the key) is 9 but must be 8}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x9x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Hq is not a multiple of Hkv.
func.func @gqa_not_multiple(%q: tensor<1x3x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x3x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query heads (3) must be a multiple of key/value heads (2) for grouped-query attention}}
  %o = attn.attention %q, %k, %v
       : tensor<1x3x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x3x8x16xf32>
  return %o : tensor<1x3x8x16xf32>
}

// -----

// Zero key/value heads.
func.func @gqa_zero_kv_heads(%q: tensor<1x2x8x16xf32>, %k: tensor<1x0x8x16xf32>, %v: tensor<1x0x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query heads (2) must be a multiple of key/value heads (0) for grouped-query attention}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x0x8x16xf32>, tensor<1x0x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// head_dim 0.
func.func @zero_head_dim(%q: tensor<1x2x8x0xf32>, %k: tensor<1x2x8x0xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op head_dim must be positive}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x0xf32>, tensor<1x2x8x0xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Output batch differs.
func.func @output_batch(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<2x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op output dimension 0 (batch) is 2 but must be 1}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<2x2x8x16xf32>
  return %o : tensor<2x2x8x16xf32>
}

// -----

// Output heads must be the query heads, not the KV heads (GQA).
func.func @output_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op output dimension 1 (query heads) is 2 but must be 4}}
  %o = attn.attention %q, %k, %v
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Output length must be the query length.
func.func @output_length(%q: tensor<1x2x1x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op output dimension 2 (query length) is 8 but must be 1}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x1x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Output last dim must be the value head_dim.
func.func @output_value_dim(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x32xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op output dimension 3 (value head_dim) is 16 but must be 32}}
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The logsumexp result has rank 3.
func.func @lse_rank(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op logsumexp result must have rank 3 [batch, heads, query], got rank 2}}
  %o, %l = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<2x8xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// logsumexp batch.
func.func @lse_batch(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op logsumexp dimension 0 (batch) is 2 but must be 1}}
  %o, %l = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<2x2x8xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// logsumexp heads.
func.func @lse_heads(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op logsumexp dimension 1 (query heads) is 4 but must be 2}}
  %o, %l = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x4x8xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// logsumexp length.
func.func @lse_length(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op logsumexp dimension 2 (query length) is 16 but must be 8}}
  %o, %l = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// logsumexp is always f32.
func.func @lse_f16(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op result #1 must be ranked tensor of 32-bit float values, but got 'tensor<1x2x8xf16>'}}
  %o, %l = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf16>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// logsumexp is only defined for softmax.
func.func @lse_sigmoid(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op the logsumexp result is only defined for softmax normalization, not sigmoid}}
  %o, %l = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// logsumexp with identity normalization.
func.func @lse_identity(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op the logsumexp result is only defined for softmax normalization, not identity}}
  %o, %l = attn.attention %q, %k, %v normalization(#attn.normalize<identity, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A zero scale.
func.func @scale_zero(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op scale must be finite and non-zero, got 0}}
  %o = attn.attention %q, %k, %v scale(0.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// An infinite scale (hex bit pattern of +inf).
func.func @scale_inf(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op scale must be finite and non-zero, got INF}}
  %o = attn.attention %q, %k, %v scale(0x7FF0000000000000)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Bias must be floating-point.
func.func @bias_dtype(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<1x2x8x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias must have a floating-point element type, got 'i32'}}
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x2x8x8xi32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Bias must have rank 4.
func.func @bias_rank(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<2x8x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias must have rank 4 [batch, heads, query, key] (extent-1 dimensions broadcast), got rank 3}}
  %o = attn.attention %q, %k, %v bias(%b : tensor<2x8x8xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Bias dimension 0 is neither 1 nor the batch.
func.func @bias_dim0(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<3x2x8x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias dimension 0 (batch) is 3 but must be 1}}
  %o = attn.attention %q, %k, %v bias(%b : tensor<3x2x8x8xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Bias dimension 1 is neither 1 nor the query heads.
func.func @bias_dim1(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<1x3x8x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias dimension 1 (query heads) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x3x8x8xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Bias dimension 2 is neither 1 nor the query length.
func.func @bias_dim2(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<1x2x4x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias dimension 2 (query length) is 4 but must be 1 or 8}}
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x2x4x8xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Bias dimension 3 is neither 1 nor the key length.
func.func @bias_dim3(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<1x2x8x7xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias dimension 3 (key length) is 7 but must be 1 or 8}}
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x2x8x7xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// #attn.document without segment_ids.
func.func @segment_ids_missing(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.document needs the segment_ids operands}}
  %o = attn.attention %q, %k, %v mask(#attn.and<[#attn.causal, #attn.document]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// segment_ids without #attn.document.
func.func @segment_ids_unused(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op segment_ids are given but no #attn.document mask reads them}}
  %o = attn.attention %q, %k, %v segment_ids(%s, %s : tensor<1x8xi32>, tensor<1x8xi32>) mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// segment_ids must be integers.
func.func @segment_ids_dtype(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query segment_ids must have an integer element type, got 'f32'}}
  %o = attn.attention %q, %k, %v segment_ids(%s, %s : tensor<1x8xf32>, tensor<1x8xf32>) mask(#attn.document)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// segment_ids have rank 2.
func.func @segment_ids_rank(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x8xi32>, %t: tensor<8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op key segment_ids must have rank 2 [batch, length], got rank 1}}
  %o = attn.attention %q, %k, %v segment_ids(%s, %t : tensor<1x8xi32>, tensor<8xi32>) mask(#attn.document)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// segment_ids batch.
func.func @segment_ids_batch(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %s: tensor<2x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query segment_ids dimension 0 (batch) is 2 but must be 1}}
  %o = attn.attention %q, %k, %v segment_ids(%s, %s : tensor<2x8xi32>, tensor<2x8xi32>) mask(#attn.document)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Query segment_ids length.
func.func @segment_ids_query_length(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>, %s: tensor<1x16xi32>, %t: tensor<1x16xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query segment_ids dimension 1 (length) is 16 but must be 8}}
  %o = attn.attention %q, %k, %v segment_ids(%s, %t : tensor<1x16xi32>, tensor<1x16xi32>) mask(#attn.document)
       : tensor<1x2x8x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Key segment_ids length.
func.func @segment_ids_key_length(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>, %s: tensor<1x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op key segment_ids dimension 1 (length) is 8 but must be 16}}
  %o = attn.attention %q, %k, %v segment_ids(%s, %s : tensor<1x8xi32>, tensor<1x8xi32>) mask(#attn.document)
       : tensor<1x2x8x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Generic form with query ids only (the custom syntax always has both).
func.func @segment_ids_query_only(%q: tensor<1x2x8x16xf32>, %s: tensor<1x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op segment_ids needs both query and key ids}}
  %o = "attn.attention"(%q, %q, %q, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, mask = #attn.document}> ({}, {}, {})
       : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x8xi32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Generic form with key ids only and no #attn.document.
func.func @segment_ids_key_only(%q: tensor<1x2x8x16xf32>, %s: tensor<1x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op segment_ids are given but no #attn.document mask reads them}}
  %o = "attn.attention"(%q, %q, %q, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>}> ({}, {}, {})
       : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x8xi32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Generic form with key ids only under #attn.document.
func.func @segment_ids_key_only_document(%q: tensor<1x2x8x16xf32>, %s: tensor<1x8xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op segment_ids needs both query and key ids}}
  %o = "attn.attention"(%q, %q, %q, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, mask = #attn.document}> ({}, {}, {})
       : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x8xi32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// #attn.block_sparse without block_layout.
func.func @block_layout_missing(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.block_sparse needs the block_layout operand}}
  %o = attn.attention %q, %k, %v mask(#attn.or<[#attn.sinks<1>, #attn.block_sparse<block_q = 4, block_kv = 4>]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// block_layout without #attn.block_sparse.
func.func @block_layout_unused(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<1x2x2x2xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout is given but no #attn.block_sparse mask reads it}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x2x2x2xi1>) mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Two #attn.block_sparse with different block sizes.
func.func @block_layout_block_sizes(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<1x2x2x2xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op every #attn.block_sparse of one op must use the same block sizes}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x2x2x2xi1>) mask(#attn.and<[#attn.block_sparse<block_q = 4, block_kv = 4>, #attn.not<#attn.block_sparse<block_q = 4, block_kv = 2>>]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// block_layout must be integer or i1.
func.func @block_layout_dtype(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<1x2x2x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout must have an integer or i1 element type, got 'f32'}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x2x2x2xf32>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// block_layout has rank 4.
func.func @block_layout_rank(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<2x2xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout must have rank 4 [batch, heads, query blocks, key blocks], got rank 2}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<2x2xi1>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// block_layout dimension 0.
func.func @block_layout_dim0(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<2x2x2x2xi8>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout dimension 0 (batch) is 2 but must be 1}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<2x2x2x2xi8>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// block_layout dimension 1.
func.func @block_layout_dim1(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<1x3x2x2xi8>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout dimension 1 (query heads) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x3x2x2xi8>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// block_layout dimension 2.
func.func @block_layout_dim2(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<1x2x3x2xi8>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout dimension 2 (query blocks) is 3 but must be 2}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x2x3x2xi8>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// block_layout dimension 3.
func.func @block_layout_dim3(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<1x1x2x1xi8>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout dimension 3 (key blocks) is 1 but must be 2}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x1x2x1xi8>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Query blocks are ceil(Nq / block_q): 9 queries in blocks of 4 make 3.
func.func @block_layout_ceil(%q: tensor<1x2x9x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %l: tensor<1x2x2x2xi8>) -> tensor<1x2x9x16xf32> {
  // expected-error @+1 {{'attn.attention' op block_layout dimension 2 (query blocks) is 2 but must be 3}}
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x2x2x2xi8>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x9x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x9x16xf32>
  return %o : tensor<1x2x9x16xf32>
}

// -----

// alibi_slopes without #attn.alibi.
func.func @alibi_slopes_unused(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op alibi_slopes are given but score_mods has no #attn.alibi}}
  %o = attn.attention %q, %k, %v alibi_slopes(%m : tensor<2xf32>) score_mods([#attn.softcap<30.0>])
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// alibi_slopes without any score_mods.
func.func @alibi_slopes_unused_no_mods(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op alibi_slopes are given but score_mods has no #attn.alibi}}
  %o = attn.attention %q, %k, %v alibi_slopes(%m : tensor<2xf32>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// alibi_slopes must be floating-point.
func.func @alibi_slopes_dtype(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<2xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op alibi_slopes must be a rank-1 floating-point tensor [query heads], got 'tensor<2xi32>'}}
  %o = attn.attention %q, %k, %v alibi_slopes(%m : tensor<2xi32>) score_mods([#attn.alibi])
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// alibi_slopes must have rank 1.
func.func @alibi_slopes_rank(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<1x2xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op alibi_slopes must be a rank-1 floating-point tensor [query heads], got 'tensor<1x2xf32>'}}
  %o = attn.attention %q, %k, %v alibi_slopes(%m : tensor<1x2xf32>) score_mods([#attn.alibi])
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// One slope per query head (not per KV head).
func.func @alibi_slopes_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<2xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op alibi_slopes dimension 0 (query heads) is 2 but must be 4}}
  %o = attn.attention %q, %k, %v alibi_slopes(%m : tensor<2xf32>) score_mods([#attn.alibi])
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// #attn.per_head describes 3 heads, the query has 2.
func.func @per_head_count(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.per_head describes 3 heads but the query has 2 heads}}
  %o = attn.attention %q, %k, %v mask(#attn.per_head<masks = [#attn.causal, #attn.full, #attn.causal]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// heads = [...] has 4 entries, the query has 2 heads.
func.func @per_head_count_heads(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.per_head describes 4 heads but the query has 2 heads}}
  %o = attn.attention %q, %k, %v mask(#attn.and<[#attn.causal, #attn.per_head<masks = [#attn.full, #attn.sinks<4>], heads = [0, 1, 1, 0]>]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A head selects a mask that does not exist.
func.func @per_head_index(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.per_head head 1 selects mask 2 but only 2 masks are given}}
  %o = attn.attention %q, %q, %q mask(#attn.per_head<masks = [#attn.causal, #attn.full], heads = [0, 2]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative mask index.
func.func @per_head_negative_index(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.per_head head 0 selects mask -1 but only 2 masks are given}}
  %o = attn.attention %q, %q, %q mask(#attn.per_head<masks = [#attn.causal, #attn.full], heads = [-1, 0]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// per_head entries must be masks.
func.func @per_head_not_a_mask(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.per_head entry 1 is not a mask attribute: #attn.alibi}}
  %o = attn.attention %q, %q, %q mask(#attn.per_head<masks = [#attn.causal, #attn.alibi]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// per_head needs at least one mask.
func.func @per_head_empty(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.per_head needs at least one mask}}
  %o = attn.attention %q, %q, %q mask(#attn.per_head<masks = []>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// per_head heads must not be empty.
func.func @per_head_empty_heads(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.per_head heads must not be empty}}
  %o = attn.attention %q, %q, %q mask(#attn.per_head<masks = [#attn.causal], heads = []>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Grid of rank 0.
func.func @nb_rank0(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood grid must have 1 to 3 axes, got 0}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [], kernel = []>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Grid of rank 4.
func.func @nb_rank4(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood grid must have 1 to 3 axes, got 4}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, 2, 2, 1], kernel = [1, 1, 1, 1]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// kernel size differs from the grid rank.
func.func @nb_kernel_size(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood kernel has 1 entries but the grid has 2 axes}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, 4], kernel = [1]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// dilation size differs from the grid rank.
func.func @nb_dilation_size(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood dilation has 3 entries but the grid has 2 axes}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, 4], kernel = [1, 3], dilation = [1, 1, 1]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// causal size differs from the grid rank.
func.func @nb_causal_size(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood causal has 1 entries but the grid has 2 axes}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, 4], kernel = [1, 3], causal = [true]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A grid extent of 0.
func.func @nb_extent_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood grid extent of axis 0 must be positive or -1 (inferred), got 0}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [0, 8], kernel = [1, 3]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A grid extent of -2.
func.func @nb_extent_negative(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood grid extent of axis 1 must be positive or -1 (inferred), got -2}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, -2], kernel = [1, 3]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A kernel of 0.
func.func @nb_kernel_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood kernel of axis 1 must be positive, got 0}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, 4], kernel = [1, 0]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A dilation of 0.
func.func @nb_dilation_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood dilation of axis 0 must be positive, got 0}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, 4], kernel = [1, 3], dilation = [0, 1]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// kernel larger than the extent.
func.func @nb_kernel_too_large(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood kernel * dilation of axis 0 (9) exceeds the grid extent 8}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [8], kernel = [9]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// kernel * dilation larger than the extent.
func.func @nb_dilated_kernel_too_large(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood kernel * dilation of axis 1 (6) exceeds the grid extent 4}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [2, 4], kernel = [1, 3], dilation = [1, 2]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// At most one inferred extent.
func.func @nb_two_inferred(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood grid may infer (-1) at most one extent}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [-1, -1], kernel = [1, 1]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Neighborhood attention needs Nq == Nk.
func.func @nb_lengths(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.neighborhood needs equal query and key lengths, got 8 and 16}}
  %o = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [-1], kernel = [3]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The grid must cover the sequence exactly.
func.func @nb_token_count(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.neighborhood grid has 9 tokens but the sequence has 8}}
  %o = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [3, 3], kernel = [3, 3]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The inferred extent must be whole.
func.func @nb_infer_not_multiple(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.neighborhood cannot infer a grid extent: sequence length 8 is not a multiple of 3}}
  %o = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [-1, 3], kernel = [1, 3]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// kernel * dilation larger than the inferred extent (8 tokens / 4 = 2).
func.func @nb_inferred_extent_too_small(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.neighborhood kernel * dilation of axis 0 (3) exceeds the inferred grid extent 2}}
  %o = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [-1, 4], kernel = [3, 3]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Same, nested in #attn.and and using the key length when Nq is dynamic.
func.func @nb_inferred_in_and(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x?x16xf32> {
  // expected-error @+1 {{'attn.attention' op #attn.neighborhood kernel * dilation of axis 1 (6) exceeds the inferred grid extent 4}}
  %o = attn.attention %q, %k, %v mask(#attn.and<[#attn.causal, #attn.neighborhood<grid = [2, -1], kernel = [1, 3], dilation = [1, 2]>]>)
       : tensor<1x2x?x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

// -----

// Negative left bound.
func.func @window_left(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.window bounds must be non-negative, got left = -1, right = 0}}
  %o = attn.attention %q, %q, %q mask(#attn.window<left = -1, right = 0>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative right bound.
func.func @window_right(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.window bounds must be non-negative, got left = 4, right = -3}}
  %o = attn.attention %q, %q, %q mask(#attn.window<left = 4, right = -3>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative sink count.
func.func @sinks(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // One error, at the bad leaf (not one per enclosing composition).
  // expected-error @+1 {{#attn.sinks count must be non-negative, got -4}}
  %o = attn.attention %q, %q, %q mask(#attn.or<[#attn.sinks<-4>, #attn.causal]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Zero stride.
func.func @strided_stride(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.strided stride must be positive, got 0}}
  %o = attn.attention %q, %q, %q mask(#attn.strided<stride = 0>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative block.
func.func @strided_block(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.strided block must be positive, got -8}}
  %o = attn.attention %q, %q, %q mask(#attn.strided<stride = 2, block = -8>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Zero rate.
func.func @dilated(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.dilated rate must be positive, got 0}}
  %o = attn.attention %q, %q, %q mask(#attn.dilated<0>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative chunk size.
func.func @chunked(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.chunked size must be positive, got -16}}
  %o = attn.attention %q, %q, %q mask(#attn.chunked<-16>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative prefix.
func.func @prefix_lm(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.prefix_lm prefix must be non-negative, got -1}}
  %o = attn.attention %q, %q, %q mask(#attn.prefix_lm<-1>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Zero query block.
func.func @block_sparse_q(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.block_sparse block sizes must be positive, got block_q = 0, block_kv = 64}}
  %o = attn.attention %q, %q, %q mask(#attn.block_sparse<block_q = 0, block_kv = 64>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative key block.
func.func @block_sparse_kv(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.block_sparse block sizes must be positive, got block_q = 64, block_kv = -64}}
  %o = attn.attention %q, %q, %q mask(#attn.block_sparse<block_q = 64, block_kv = -64>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// An invalid mask nested in #attn.not.
func.func @not_nested_error(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.window bounds must be non-negative, got left = -2, right = 0}}
  %o = attn.attention %q, %q, %q mask(#attn.not<#attn.window<left = -2, right = 0>>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Zero softcap (an integer cap parses like a float one).
func.func @softcap_zero(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.softcap cap must be positive and finite, got 0}}
  %o = attn.attention %q, %q, %q score_mods([#attn.softcap<0>]) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Negative softcap.
func.func @softcap_negative(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.softcap cap must be positive and finite, got -5.000000e+01}}
  %o = attn.attention %q, %q, %q score_mods([#attn.alibi, #attn.softcap<-50.0>]) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Infinite softcap.
func.func @softcap_inf(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.softcap cap must be positive and finite, got INF}}
  %o = attn.attention %q, %q, %q score_mods([#attn.softcap<0x7FF0000000000000 : f64>]) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// l1 is implied by softmax.
func.func @normalize_softmax_l1(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.normalize<softmax> is already l1-normalized; 'l1' is not allowed with it}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<softmax, l1>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// bias is only for sigmoid.
func.func @normalize_bias_relu(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.normalize bias is only defined for sigmoid, not for relu}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<relu, bias = 1.0>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// bias with softmax.
func.func @normalize_bias_softmax(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.normalize bias is only defined for sigmoid, not for softmax}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<softmax, bias = -1.0>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Infinite sigmoid bias.
func.func @normalize_bias_inf(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.normalize bias must be finite}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<sigmoid, bias = 0xFFF0000000000000>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Unknown normalization kind.
func.func @normalize_unknown_kind(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown normalization 'softmin'; expected softmax, sigmoid, softplus, relu or identity}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<softmin>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Unknown normalization option.
func.func @normalize_unknown_option(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown #attn.normalize option 'temperature'; expected 'bias = <float>', 'l1', 'subtractive' or 'mala'}}
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<sigmoid, temperature = 2.0>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Unknown mask keyword.
func.func @unknown_mask(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown attribute `diagonal` in dialect `attn`}}
  %o = attn.attention %q, %q, %q mask(#attn.diagonal) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A score modification where a mask is expected.
func.func @not_a_mask(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{custom op 'attn.attention' invalid kind of attribute specified}}
  %o = attn.attention %q, %q, %q mask(#attn.alibi) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A mask where a score modification is expected.
func.func @not_a_score_mod(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op attribute 'score_mods' failed to satisfy constraint: array of score modifications}}
  %o = attn.attention %q, %q, %q score_mods([#attn.causal]) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// #attn.and needs at least one mask.
func.func @and_empty(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.and needs at least one mask}}
  %o = attn.attention %q, %q, %q mask(#attn.and<[]>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The softcap is a number (integer or float), not a string.
func.func @softcap_string(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.softcap expects a number, got "50"}}
  %o = attn.attention %q, %q, %q score_mods([#attn.softcap<"50">]) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// #attn.window needs both bounds.
func.func @window_missing_param(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{expected ','}}
  %o = attn.attention %q, %q, %q mask(#attn.window<left = 4>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// mask_fn takes (b, h, i, j).
func.func @mask_fn_arg_count(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'mask_fn' must take 4 arguments (4 + 0 captures), got 3}}
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%h: index, %i: index, %j: index):
         %c = arith.cmpi ule, %j, %i : index
         attn.yield %c : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Captures are appended to the region arguments.
func.func @mask_fn_capture_count(%q: tensor<1x2x8x16xf32>, %t: tensor<8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'mask_fn' must take 5 arguments (4 + 1 captures), got 4}}
  %o = attn.attention %q, %q, %q
       captures(%t : tensor<8xf32>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c = arith.cmpi ule, %j, %i : index
         attn.yield %c : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Indices are index, not i64.
func.func @mask_fn_arg_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'mask_fn' argument 2 must have type 'index', got 'i64'}}
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: i64, %j: index):
         %c = arith.constant true
         attn.yield %c : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A capture's block argument has the capture's type.
func.func @mask_fn_capture_type(%q: tensor<1x2x8x16xf32>, %t: tensor<8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'mask_fn' argument 4 must have type 'tensor<8xf32>', got 'tensor<?xf32>'}}
  %o = attn.attention %q, %q, %q
       captures(%t : tensor<8xf32>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
         %c = arith.constant true
         attn.yield %c : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The score is always f32.
func.func @score_mod_arg_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'score_mod' argument 0 must have type 'f32', got 'f16'}}
  %o = attn.attention %q, %q, %q
       score_mod {
       ^bb0(%s: f16, %b: index, %h: index, %i: index, %j: index):
         attn.yield %s : f16
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// score_mod takes (s, b, h, i, j).
func.func @score_mod_arg_count(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'score_mod' must take 5 arguments (5 + 0 captures), got 1}}
  %o = attn.attention %q, %q, %q
       score_mod {
       ^bb0(%s: f32):
         attn.yield %s : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// One block per region.
func.func @mask_fn_two_blocks(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'mask_fn' must have exactly one block}}
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c = arith.cmpi ule, %j, %i : index
         attn.yield %c : i1
       ^bb1:
         %t = arith.constant true
         attn.yield %t : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// mask_fn yields an i1.
func.func @mask_fn_yield_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c = arith.constant 1 : i8
         // expected-error @+1 {{'attn.yield' op in region 'mask_fn' must yield exactly one 'i1'}}
         attn.yield %c : i8
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// mask_fn yields exactly one value.
func.func @mask_fn_yield_count(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c = arith.constant true
         // expected-error @+1 {{'attn.yield' op in region 'mask_fn' must yield exactly one 'i1'}}
         attn.yield %c, %c : i1, i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// score_mod yields exactly one value.
func.func @score_mod_yield_none(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         // expected-error @+1 {{'attn.yield' op in region 'score_mod' must yield exactly one 'f32'}}
         "attn.yield"() : () -> ()
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// score_mod yields an f32, even for bf16 operands.
func.func @score_mod_yield_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %t = arith.truncf %s : f32 to bf16
         // expected-error @+1 {{'attn.yield' op in region 'score_mod' must yield exactly one 'f32'}}
         attn.yield %t : bf16
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A region without a terminator.
func.func @missing_yield(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         // expected-error @+1 {{block with no terminator}}
         %c = arith.cmpi ule, %j, %i : index
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A terminator other than attn.yield.
func.func @wrong_terminator(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'mask_fn' must end with attn.yield}}
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         llvm.unreachable
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// attn.yield outside attn.attention.
func.func @yield_outside(%x: f32) {
  // expected-error @+1 {{'attn.yield' op expects parent op 'attn.attention' (or an attn_tile op carrying its regions)}}
  attn.yield %x : f32
}

// -----

// func.call is not allowed in a region.
func.func private @helper(f32) -> f32

func.func @func_call(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         // expected-error @+1 {{'func.call' op is not supported in an attn region; only arith and math ops, tensor.extract and tensor.dim on captures, attn.query_length, attn.key_length and attn.aligned_query are}}
         %y = func.call @helper(%s) : (f32) -> f32
         attn.yield %y : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// memref ops are not allowed in a region.
func.func @memref_op(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         // expected-error @+1 {{'memref.alloca' op is not supported in an attn region; only arith and math ops, tensor.extract and tensor.dim on captures, attn.query_length, attn.key_length and attn.aligned_query are}}
         %m = memref.alloca() : memref<4xi1>
         %c = memref.load %m[%j] : memref<4xi1>
         attn.yield %c : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Only tensor.extract and tensor.dim among tensor ops.
func.func @tensor_insert(%q: tensor<1x2x8x16xf32>, %t: tensor<8xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       captures(%t : tensor<8xf32>)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<8xf32>):
         // expected-error @+1 {{'tensor.insert' op is not supported in an attn region; only arith and math ops, tensor.extract and tensor.dim on captures, attn.query_length, attn.key_length and attn.aligned_query are}}
         %u = tensor.insert %s into %tt[%j] : tensor<8xf32>
         attn.yield %s : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Region ops are scalar: the lowerings inline them per element.
func.func @vector_in_region(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         // expected-error @+1 {{'arith.constant' op in an attn region must operate on scalars (integer, index or float), not vectors or tensors (tensors are only read, from captures or constant tables)}}
         %c = arith.constant dense<1.0> : vector<4xf32>
         attn.yield %s : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Control flow is not allowed in a region (use arith.select).
func.func @scf_if(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %c = arith.cmpi ule, %j, %i : index
         // expected-error @+1 {{'scf.if' op is not supported in an attn region; only arith and math ops, tensor.extract and tensor.dim on captures, attn.query_length, attn.key_length and attn.aligned_query are}}
         %y = scf.if %c -> f32 {
           scf.yield %s : f32
         } else {
           scf.yield %s : f32
         }
         attn.yield %y : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Regions are isolated from above: pass outside values as captures.
func.func @isolated_from_above(%q: tensor<1x2x8x16xf32>, %n: index) -> tensor<1x2x8x16xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         // expected-error @+1 {{'arith.cmpi' op using value defined outside the region}}
         %c = arith.cmpi ult, %j, %n : index
         attn.yield %c : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Head maps are integer tensors.
func.func @head_map_float(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<4xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op k_head_map must have an integer element type, got 'f32'}}
  %o = attn.attention %q, %k, %k k_head_map(%m : tensor<4xf32>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Head maps have rank 1 or 2.
func.func @head_map_rank(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<1x1x4xi32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op v_head_map must have rank 1 [query heads] or 2 [batch, query heads], got rank 3}}
  %o = attn.attention %q, %k, %k v_head_map(%m : tensor<1x1x4xi32>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// One map entry per query head.
func.func @head_map_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<1x3xi32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op k_head_map dimension 1 (query heads) is 3 but must be 4}}
  %o = attn.attention %q, %k, %k k_head_map(%m : tensor<1x3xi32>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// The batch extent of a rank-2 map is B or 1.
func.func @head_map_batch(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %m: tensor<3x4xi32>) -> tensor<2x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op k_head_map dimension 0 (batch) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %k, %k k_head_map(%m : tensor<3x4xi32>)
       : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// With a key head map the key heads are read through the map, but the value
// (without its own map) must then still match the key.
func.func @value_heads_without_map(%q: tensor<1x3x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x3x8x16xf32>, %m: tensor<3xi32>) -> tensor<1x3x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op value dimension 1 (key/value heads of the key) is 3 but must be 2}}
  %o = attn.attention %q, %k, %v k_head_map(%m : tensor<3xi32>)
       : tensor<1x3x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x3x8x16xf32>
  return %o : tensor<1x3x8x16xf32>
}

// -----

// With a key head map only, the value heads are still read by GQA group
// (h / (Hq / Hv)), which needs Hq % Hv == 0: 3 query heads over 2 value
// heads would read value head 2 of 2.
func.func @key_map_only_ungrouped_values(%q: tensor<1x3x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<3xi32>) -> tensor<1x3x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query heads (3) must be a multiple of key/value heads (2) for grouped-query attention (the value heads, without a v_head_map)}}
  %o = attn.attention %q, %k, %k k_head_map(%m : tensor<3xi32>)
       : tensor<1x3x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x3x8x16xf32>
  return %o : tensor<1x3x8x16xf32>
}

// -----

// Without a key head map, GQA grouping still needs Hq % Hk == 0.
func.func @value_map_only(%q: tensor<1x3x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x5x8x16xf32>, %m: tensor<3xi32>) -> tensor<1x3x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op query heads (3) must be a multiple of key/value heads (2) for grouped-query attention}}
  %o = attn.attention %q, %k, %v v_head_map(%m : tensor<3xi32>)
       : tensor<1x3x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x5x8x16xf32> -> tensor<1x3x8x16xf32>
  return %o : tensor<1x3x8x16xf32>
}

// -----

// Sink logits are one float per query head.
func.func @sink_logits_shape(%q: tensor<1x4x8x16xf32>, %s: tensor<2xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op sink_logits dimension 0 (query heads) is 2 but must be 4}}
  %o = attn.attention %q, %q, %q sink_logits(%s : tensor<2xf32>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @sink_logits_type(%q: tensor<1x4x8x16xf32>, %s: tensor<4xi32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op sink_logits must be a rank-1 floating-point tensor [query heads], got 'tensor<4xi32>'}}
  %o = attn.attention %q, %q, %q sink_logits(%s : tensor<4xi32>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// A null logit only makes sense in a softmax denominator.
func.func @sink_logits_sigmoid(%q: tensor<1x4x8x16xf32>, %s: tensor<4xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op sink_logits are only defined for softmax normalization, not sigmoid}}
  %o = attn.attention %q, %q, %q sink_logits(%s : tensor<4xf32>) normalization(#attn.normalize<sigmoid>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// The output gate is [B|1, Hq|1, Nq|1].
func.func @output_gate_rank(%q: tensor<1x4x8x16xf32>, %g: tensor<4x8xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op output_gate must have rank 3 [batch, heads, query] or 4 [batch, heads, query, value head_dim] (extent-1 dimensions broadcast), got rank 2}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<4x8xf32>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @output_gate_extent(%q: tensor<1x4x8x16xf32>, %g: tensor<1x4x7xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op output_gate dimension 2 (query length) is 7 but must be 1 or 8}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x4x7xf32>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @output_gate_type(%q: tensor<1x4x8x16xf32>, %g: tensor<1x4x8xi32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op output_gate must have a floating-point element type, got 'i32'}}
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x4x8xi32>)
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// weight_mod takes (w, raw score, b, h, i, j, captures...).
func.func @weight_mod_arity(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'weight_mod' must take 6 arguments (6 + 0 captures), got 5}}
  %o = attn.attention %q, %q, %q
       weight_mod {
       ^bb0(%w: f32, %b: index, %h: index, %i: index, %j: index):
         attn.yield %w : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @weight_mod_arg_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op region 'weight_mod' argument 1 must have type 'f32', got 'index'}}
  %o = attn.attention %q, %q, %q
       weight_mod {
       ^bb0(%w: f32, %r: index, %b: index, %h: index, %i: index, %j: index):
         attn.yield %w : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @weight_mod_yield(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %c = arith.cmpf olt, %w, %r : f32
         // expected-error @+1 {{'attn.yield' op in region 'weight_mod' must yield exactly one 'f32'}}
         attn.yield %c : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// GNA stride: one entry per axis, in [1, kernel].
func.func @neighborhood_stride_count(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @+1 {{#attn.neighborhood stride has 1 entries but the grid has 2 axes}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [8, 8], kernel = [3, 3], stride = [2]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @neighborhood_stride_range(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @+1 {{#attn.neighborhood stride of axis 1 must be in [1, kernel] = [1, 3], got 4}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [8, 8], kernel = [3, 3], stride = [1, 4]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

// The region context ops only exist inside an attn.attention region.
func.func @query_length_outside() -> index {
  // expected-error @+1 {{'attn.query_length' op expects parent op 'attn.attention' (or an attn_tile op carrying its regions)}}
  %n = attn.query_length : index
  return %n : index
}

// -----

func.func @aligned_query_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %q, %q
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %i64 = arith.index_cast %i : index to i64
         // expected-error @+1 {{'attn.aligned_query' op operand #0 must be index, but got 'i64'}}
         %p = "attn.aligned_query"(%i64) : (i64) -> index
         %ok = arith.cmpi sle, %j, %p : index
         attn.yield %ok : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Mask parameters are bounded by 2^40 so that index arithmetic on them
// cannot overflow (a window bound of INT64_MAX once gave wrong answers).
func.func @window_overflow(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.window right must be at most 2^40 (1099511627776), got 9223372036854775807}}
  %o = attn.attention %q, %q, %q mask(#attn.window<left = 3, right = 9223372036854775807>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @strided_offset_overflow(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.strided offset magnitude must be at most 2^40 (1099511627776), got 9223372036854775807}}
  %o = attn.attention %q, %q, %q mask(#attn.strided<stride = 2, offset = -9223372036854775808>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @neighborhood_overflow(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.neighborhood grid must hold at most 2^40 tokens}}
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [-1, 2097152, 2097152], kernel = [1, 1, 1]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @chunked_overflow(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{#attn.chunked size must be at most 2^40 (1099511627776), got 4611686018427387904}}
  %o = attn.attention %q, %q, %q mask(#attn.chunked<size = 4611686018427387904>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @decay_rank(%q: tensor<1x2x8x16xf32>, %a: tensor<2x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay must be a floating-point tensor of rank 3 [batch, query heads, key length] or 4 [batch, query heads, key length, head_dim] (extent 1 broadcasts but for head_dim), got 'tensor<2x8xf32>'}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<2x8xf32>) mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @decay_length(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x7xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay dimension 2 (key length) is 7 but must be 1 or 8}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x7xf32>) mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @decay_softmax(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay needs the identity normalization (optionally with l1), not softmax}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x1xf32>) mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @decay_not_causal(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay needs a causal mask (#attn.causal, alone or inside #attn.and)}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x1xf32>) mask(#attn.window<left = 3, right = 0>) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A gate per key channel (rank 4): one gate per channel of the head
// dimension, a map that keeps it, nothing modifying the score after it.
func.func @channel_decay_width(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x8x8xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay dimension 3 (head_dim of the query: one gate per key channel) is 8 but must be 16}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x8x8xf32>) mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @channel_decay_heads(%q: tensor<1x2x8x16xf32>, %a: tensor<1x3x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay dimension 1 (query heads) is 3 but must be 1 or 2}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x3x8x16xf32>) mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @channel_decay_rank5(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x8x16x1xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay must be a floating-point tensor of rank 3}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x8x16x1xf32>) mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @channel_decay_taylor2(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a decay per key channel needs a feature map that keeps the head dimension, not #attn.feature_map<taylor2>}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x8x16xf32>) feature_map(#attn.feature_map<taylor2>) mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @channel_decay_softcap(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a decay per key channel (rank 4) gates the score itself: it cannot be combined with a bias, score_mods, a score_mod or a weight_mod}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x8x16xf32>) mask(#attn.causal) score_mods([#attn.softcap<5.0>]) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @channel_decay_not_causal(%q: tensor<1x2x8x16xf32>, %a: tensor<1x2x1x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{decay needs a causal mask (#attn.causal, alone or inside #attn.and)}}
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x1x16xf32>) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @feature_map_unknown(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{unknown feature map 'tanh'; expected elu_plus_one, relu, sigmoid, exp, silu, hedgehog, taylor2, identity, softmax, sequence_softmax, sequence_scale, query_weighted or flow}}
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<tanh>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
