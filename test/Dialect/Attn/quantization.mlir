// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// The quantization declaration round-trips: pre-quantized i8 Q and K with
// scales at every granularity, quantization inside the spec with K
// smoothing (defaults not printed), signs with and without scales, mixed
// (float Q quantized by the compiler, i8 K given), with masks, score
// modifications and other normalizations.

// CHECK-LABEL: func.func @int8_operands
// CHECK: q_scale(%{{.*}} : tensor<1x1x1xf32>) k_scale(%{{.*}} : tensor<?x?x?xf32>)
// CHECK-SAME: mask(#attn.causal) quantization(<scheme = int8, k_block = 64>)
// CHECK-SAME: : tensor<?x?x?x?xi8>, tensor<?x?x?x?xi8>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
func.func @int8_operands(%q: tensor<?x?x?x?xi8>, %k: tensor<?x?x?x?xi8>, %v: tensor<?x?x?x?xf32>,
                         %sq: tensor<1x1x1xf32>, %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = int8, q_block = 1, k_block = 64>)
       : tensor<?x?x?x?xi8>, tensor<?x?x?x?xi8>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Per-head query scales, per-token key scales, static shapes.
// CHECK-LABEL: func.func @int8_static
// CHECK: q_scale(%{{.*}} : tensor<1x4x1xbf16>) k_scale(%{{.*}} : tensor<2x2x37xf32>)
// CHECK-SAME: quantization(<scheme = int8>)
// CHECK-SAME: -> tensor<2x4x5x8xbf16>, tensor<2x4x5xf32>
func.func @int8_static(%q: tensor<2x4x5x16xi8>, %k: tensor<2x2x37x16xi8>, %v: tensor<2x2x37x8xbf16>,
                       %sq: tensor<1x4x1xbf16>, %sk: tensor<2x2x37xf32>) -> (tensor<2x4x5x8xbf16>, tensor<2x4x5xf32>) {
  %o, %lse = attn.attention %q, %k, %v q_scale(%sq : tensor<1x4x1xbf16>) k_scale(%sk : tensor<2x2x37xf32>)
       quantization(#attn.quantized_qk<scheme = int8>)
       : tensor<2x4x5x16xi8>, tensor<2x2x37x16xi8>, tensor<2x2x37x8xbf16> -> tensor<2x4x5x8xbf16>, tensor<2x4x5xf32>
  return %o, %lse : tensor<2x4x5x8xbf16>, tensor<2x4x5xf32>
}

// CHECK-LABEL: func.func @sage
// CHECK: mask(#attn.and<[#attn.causal, #attn.window<left = 255, right = 0>]>)
// CHECK-SAME: quantization(<scheme = int8, q_block = 128, k_block = 64, smooth_k = true>)
// CHECK-SAME: score_mods([#attn.softcap<5.000000e+01>])
func.func @sage(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.and<[#attn.causal, #attn.window<left = 255, right = 0>]>)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 128, k_block = 64, smooth_k = true>)
       score_mods([#attn.softcap<50.0>])
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// A float query the compiler quantizes against an i8 key cache.
// CHECK-LABEL: func.func @mixed
// CHECK: k_scale(%{{.*}} : tensor<1x?x?xf32>) quantization(<scheme = int8, q_block = 32, k_block = 16>)
// CHECK-SAME: normalization(<sigmoid>)
func.func @mixed(%q: tensor<?x?x?x?xf16>, %k: tensor<?x?x?x?xi8>, %v: tensor<?x?x?x?xf16>,
                 %sk: tensor<1x?x?xf32>) -> tensor<?x?x?x?xf16> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<1x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 32, k_block = 16>)
       normalization(#attn.normalize<sigmoid>)
       : tensor<?x?x?x?xf16>, tensor<?x?x?x?xi8>, tensor<?x?x?x?xf16> -> tensor<?x?x?x?xf16>
  return %o : tensor<?x?x?x?xf16>
}

// A pre-quantized INT4 key cache (i4, packed two per byte when passed) with
// per-(head, block) scales against a float query the compiler quantizes.
// CHECK-LABEL: func.func @int4_cache
// CHECK: k_scale(%{{.*}} : tensor<1x?x?xf32>) mask(#attn.causal) quantization(<scheme = int4, k_block = 64>)
func.func @int4_cache(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x128xi4>, %v: tensor<?x?x?x?xbf16>,
                      %sk: tensor<1x?x?xf32>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<1x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, k_block = 64>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x128xi4>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// OSCAR's rotation: one orthogonal matrix per key head, applied to q and k
// before they are quantized.
// CHECK-LABEL: func.func @rotated
// CHECK: rotation(%{{.*}} : tensor<?x128x128xf32>) mask(#attn.causal) quantization(<scheme = int4, k_block = 64, smooth_k = true>)
func.func @rotated(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x?xbf16>,
                   %r: tensor<?x128x128xf32>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v rotation(%r : tensor<?x128x128xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, k_block = 64, smooth_k = true>)
       : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// CHECK-LABEL: func.func @signs
// CHECK: bias(%{{.*}} : tensor<1x?x?x?xf32>) q_scale(%{{.*}} : tensor<1x?x1xf32>) quantization(<scheme = sign>)
func.func @signs(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                 %a: tensor<1x?x1xf32>, %b: tensor<1x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x?x?x?xf32>) q_scale(%a : tensor<1x?x1xf32>)
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @signs_unscaled
// CHECK: quantization(<scheme = sign>)
func.func @signs_unscaled(%q: tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16> {
  %o = attn.attention %q, %q, %q quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// SageAttention2's pieces: INT4 with K and Q smoothing.
// CHECK-LABEL: func.func @int4_smooth_q
// CHECK: quantization(<scheme = int4, q_block = 32, k_block = 64, smooth_k = true, smooth_q = true>)
func.func @int4_smooth_q(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = int4, q_block = 32, k_block = 64, smooth_k = true, smooth_q = true>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// KV-cache quantization: keys only (a float query against a pre-quantized
// i4 key cache rotated offline, OSCAR) and mixed precision per key block
// (ZipCache's salient tokens at 8 bits, the others at 4).
// CHECK-LABEL: func.func @keys_only_rotated_i4_cache
// CHECK: k_scale(%{{.*}} : tensor<1x2x?xf32>) rotation(%{{.*}} : tensor<2x16x16xf32>)
// CHECK: quantization(<scheme = int4, keys_only = true>)
func.func @keys_only_rotated_i4_cache(%q: tensor<1x4x?x16xf32>, %k: tensor<1x2x?x16xi4>, %v: tensor<1x2x?x16xf32>, %s: tensor<1x2x?xf32>, %r: tensor<2x16x16xf32>) -> tensor<1x4x?x16xf32> {
  %o = attn.attention %q, %k, %v k_scale(%s : tensor<1x2x?xf32>) rotation(%r : tensor<2x16x16xf32>)
       quantization(#attn.quantized_qk<scheme = int4, keys_only = true>)
       : tensor<1x4x?x16xf32>, tensor<1x2x?x16xi4>, tensor<1x2x?x16xf32> -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// CHECK-LABEL: func.func @salient_keys
// CHECK: k_salient(%{{.*}} : tensor<?x?x?xi1>)
// CHECK: quantization(<scheme = int4, k_block = 16, keys_only = true, salient_bits = 8>)
func.func @salient_keys(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>, %m: tensor<?x?x?xi1>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v k_salient(%m : tensor<?x?x?xi1>)
       quantization(#attn.quantized_qk<scheme = int4, k_block = 16, keys_only = true, salient_bits = 8>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// BiPFT: signs with per-head scales and a low-rank estimate of the
// binarization residual, (q U) . (k W), with U per query head and W shared.
// CHECK-LABEL: func.func @binary_low_rank
// CHECK: low_rank(%{{.*}}, %{{.*}} : tensor<4x16x4xf32>, tensor<1x16x4xf32>)
func.func @binary_low_rank(%q: tensor<1x4x?x16xf32>, %k: tensor<1x2x?x16xf32>, %a: tensor<1x4x1xf32>, %u: tensor<4x16x4xf32>, %w: tensor<1x16x4xf32>) -> tensor<1x4x?x16xf32> {
  %o = attn.attention %q, %k, %k q_scale(%a : tensor<1x4x1xf32>) low_rank(%u, %w : tensor<4x16x4xf32>, tensor<1x16x4xf32>)
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32> -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}
