// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' | FileCheck %s
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 split-kv=3' | FileCheck %s --check-prefix=SPLIT

// Quantized Q K^T: float operands are quantized (or reduced to signs) once
// per call, before the work items; i8 operands and their scale operands are
// read as they are. Each work item loads its i8 query rows with their row
// scales once; the key loop loads i8 key rows with theirs and forms the
// score tile with attn_tile.quantized_scores; the mask, modifications and
// online update follow as for a float spec.

// CHECK-LABEL: func.func @sage
// CHECK: %[[QV:.*]], %[[QS:.*]] = attn_tile.quantize %[[Q:[a-z0-9]+]] block(128) : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
// CHECK: %[[KV:.*]], %[[KS:.*]] = attn_tile.quantize %{{.*}} block(64) center : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
// CHECK: scf.forall
// CHECK: %[[QT:.*]], %[[QR:.*]] = attn_tile.load_quantized %[[QV]][%{{.*}}, %{{.*}}, %{{.*}}] scales(%[[QS]] block 128) : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<16x?xi8>, tensor<16xf32>
// CHECK: attn_tile.for_key_tiles
// CHECK: %[[KT:.*]], %[[KR:.*]] = attn_tile.load_quantized %[[KV]][%{{.*}}, %{{.*}}, %{{.*}}] scales(%[[KS]] block 64) : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<8x?xi8>, tensor<8xf32>
// CHECK: %[[S:.*]] = attn_tile.quantized_scores %[[QT]], %[[KT]] rows(%[[QR]], %[[KR]]) scale %{{.*}} : tensor<16x?xi8>, tensor<8x?xi8>, tensor<16xf32>, tensor<8xf32> -> tensor<16x8xf32>
// CHECK: attn_tile.mask %[[S]]
// CHECK-NOT: attn_tile.scores
// SPLIT-LABEL: func.func @sage
// SPLIT: attn_tile.quantize
// SPLIT: attn_tile.quantize
// SPLIT: scf.forall
// SPLIT: attn_tile.quantized_scores
// SPLIT: attn_tile.merge
func.func @sage(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 128, k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// INT4: the same quantize ops with range 7 (values in i8 lanes), the same
// quantized_scores.
// CHECK-LABEL: func.func @sage_int4
// CHECK: attn_tile.quantize %{{.*}} block(32) range(7) : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
// CHECK: attn_tile.quantize %{{.*}} block(64) range(7) center : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
// CHECK: attn_tile.quantized_scores
func.func @sage_int4(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = int4, q_block = 32, k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Pre-quantized: no quantize op, the scale operands go to the loads.
// CHECK-LABEL: func.func @int8_operands
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xi8>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xi8>, %{{.*}}: tensor<?x?x?x?xf32>, %[[SQ:[a-z0-9]+]]: tensor<1x1x1xf32>, %[[SK:[a-z0-9]+]]: tensor<?x?x?xf32>
// CHECK-NOT: attn_tile.quantize
// CHECK: attn_tile.load_quantized %[[Q]][{{.*}}] scales(%[[SQ]] block 1) : tensor<?x?x?x?xi8>, tensor<1x1x1xf32> -> tensor<16x?xi8>, tensor<16xf32>
// CHECK: attn_tile.load_quantized %[[K]][{{.*}}] scales(%[[SK]] block 32) : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<8x?xi8>, tensor<8xf32>
// CHECK: attn_tile.quantized_scores
func.func @int8_operands(%q: tensor<?x?x?x?xi8>, %k: tensor<?x?x?x?xi8>, %v: tensor<?x?x?x?xf32>,
                         %sq: tensor<1x1x1xf32>, %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = int8, k_block = 32>)
       : tensor<?x?x?x?xi8>, tensor<?x?x?x?xi8>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A rotation: Q and K times their key head's matrix once per call, then the
// rotated rows are smoothed and quantized.
// CHECK-LABEL: func.func @rotated
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xbf16>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xbf16>, %{{.*}}: tensor<?x?x?x?xbf16>, %[[R:[a-z0-9]+]]: tensor<?x?x?xf32>
// CHECK: %[[QR:.*]] = attn_tile.rotate %[[Q]], %[[R]] : tensor<?x?x?x?xbf16>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: %[[KR:.*]] = attn_tile.rotate %[[K]], %[[R]] : tensor<?x?x?x?xbf16>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.quantize %[[QR]] block(32) range(7)
// CHECK: attn_tile.quantize %[[KR]] block(64) range(7) center
func.func @rotated(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>,
                   %r: tensor<?x?x?xf32>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v rotation(%r : tensor<?x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = int4, q_block = 32, k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// Pre-quantized INT4: each i4 operand is unpacked into i8 lanes once per
// call (-8 read as -7), then read as an i8 operand with its scales.
// CHECK-LABEL: func.func @int4_operands
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xi4>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xi4>, %{{.*}}: tensor<?x?x?x?xf32>, %[[SQ:[a-z0-9]+]]: tensor<1x1x1xf32>, %[[SK:[a-z0-9]+]]: tensor<?x?x?xf32>
// CHECK-NOT: attn_tile.quantize
// CHECK: %[[QL:.*]] = attn_tile.unpack_int4 %[[Q]] : tensor<?x?x?x?xi4> -> tensor<?x?x?x?xi8>
// CHECK: %[[KL:.*]] = attn_tile.unpack_int4 %[[K]] : tensor<?x?x?x?xi4> -> tensor<?x?x?x?xi8>
// CHECK: attn_tile.load_quantized %[[QL]][{{.*}}] scales(%[[SQ]] block 1) : tensor<?x?x?x?xi8>, tensor<1x1x1xf32> -> tensor<16x?xi8>, tensor<16xf32>
// CHECK: attn_tile.load_quantized %[[KL]][{{.*}}] scales(%[[SK]] block 32) : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<8x?xi8>, tensor<8xf32>
// CHECK: attn_tile.quantized_scores
func.func @int4_operands(%q: tensor<?x?x?x?xi4>, %k: tensor<?x?x?x?xi4>, %v: tensor<?x?x?x?xf32>,
                         %sq: tensor<1x1x1xf32>, %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = int4, k_block = 32>)
       : tensor<?x?x?x?xi4>, tensor<?x?x?x?xi4>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Signs: attn_tile.sign per operand; unscaled keys load without scales.
// CHECK-LABEL: func.func @signs
// CHECK: %[[QB:.*]] = attn_tile.sign %{{.*}} : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>
// CHECK: %[[KB:.*]] = attn_tile.sign %{{.*}} : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>
// CHECK: attn_tile.load_quantized %[[QB]][{{.*}}] scales(%{{.*}} block 1) : tensor<?x?x?x?xi8>, tensor<1x?x1xf32> -> tensor<16x?xi8>, tensor<16xf32>
// CHECK: attn_tile.load_quantized %[[KB]][{{.*}}] : tensor<?x?x?x?xi8> -> tensor<8x?xi8>, tensor<8xf32>
// CHECK: attn_tile.quantized_scores
// CHECK: attn_tile.modify
func.func @signs(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                 %a: tensor<1x?x1xf32>, %b: tensor<1x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x?x?x?xf32>) q_scale(%a : tensor<1x?x1xf32>)
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// pv = int8: V is quantized per channel once per call; each work item
// slices its value head's channel scales; the key loop loads i8 value rows
// (no row scales) and accumulates with attn_tile.quantized_accumulate,
// rescaled by the online update's alpha; no f32 value tile is loaded.
// CHECK-LABEL: func.func @int8_pv
// CHECK: attn_tile.quantize %{{.*}} block(1)
// CHECK: attn_tile.quantize %{{.*}} block(1)
// CHECK: %[[VQ:[a-z0-9_]+]], %[[VS:[a-z0-9_]+]] = attn_tile.quantize_channels %{{.*}} : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
// CHECK: scf.forall
// CHECK: %[[CS:.*]] = tensor.extract_slice %[[VS]][%{{.*}}, %{{.*}}, 0] [1, 1, %{{.*}}] [1, 1, 1] : tensor<?x?x?xf32> to tensor<?xf32>
// CHECK: attn_tile.for_key_tiles
// CHECK: %[[W:[a-z0-9_]+]], %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %[[ALPHA:[a-z0-9_]+]] = attn_tile.online_update
// CHECK: %[[VT:[a-z0-9_]+]], %{{[a-z0-9_]+}} = attn_tile.load_quantized %[[VQ]][%{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x?x?x?xi8> -> tensor<8x?xi8>, tensor<8xf32>
// CHECK: attn_tile.quantized_accumulate %[[W]], %[[VT]] scales(%[[CS]]) into %{{.*}} rescale(%[[ALPHA]] : tensor<16xf32>) : tensor<16x8xf32>, tensor<8x?xi8>, tensor<?xf32> -> tensor<16x?xf32>
// CHECK-NOT: attn_tile.accumulate
// SPLIT-LABEL: func.func @int8_pv
// SPLIT: attn_tile.quantize_channels
// SPLIT: attn_tile.quantized_accumulate
// SPLIT: attn_tile.merge
func.func @int8_pv(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, pv = int8>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Q smoothing: Q is centered per query block and K over all tokens (with
// smooth_k) once per call; the residuals are quantized; each work item
// loads its query means; each key tile adds scale * qm . k' (a float score
// tile on the centered keys) to the quantized scores.
// CHECK-LABEL: func.func @smooth_q
// CHECK: %[[QR:.*]], %[[QM:.*]] = attn_tile.center %{{.*}} block(32) : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
// CHECK: %[[KR:.*]], %{{.*}} = attn_tile.center %{{.*}} : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
// CHECK: attn_tile.quantize %[[QR]] block(32) range(7) : tensor<?x?x?x?xf32>
// CHECK: attn_tile.quantize %[[KR]] block(64) range(7) : tensor<?x?x?x?xf32>
// CHECK: scf.forall
// CHECK: %[[QMT:.*]] = attn_tile.load %[[QM]]
// CHECK: attn_tile.for_key_tiles
// CHECK: %[[KF:.*]] = attn_tile.load %[[KR]]
// CHECK: %[[C:.*]] = attn_tile.scores %[[QMT]], %[[KF]] scale
// CHECK: attn_tile.quantized_scores %{{.*}}, %{{.*}} rows(%{{.*}}, %{{.*}}) scale %{{.*}} plus %[[C]]
func.func @smooth_q(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, q_block = 32, k_block = 64, smooth_k = true, smooth_q = true>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// FP8 P V: V rounded to FP8 per channel once per call (held in f32), each
// key tile's weights rounded at the fixed scale before the f32 accumulate.
// CHECK-LABEL: func.func @fp8_pv
// CHECK: %[[VF:.*]] = attn_tile.fp8_channels %{{.*}} e5m2 : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.for_key_tiles
// CHECK: %[[W:.*]] = attn_tile.round_fp8 %{{.*}} e5m2 : tensor<16x8xf32>
// CHECK: %[[VT:.*]] = attn_tile.load %[[VF]]
// CHECK: attn_tile.accumulate %[[W]], %[[VT]]
func.func @fp8_pv(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = int8, pv = fp8_e5m2>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// keys_only (KV-cache quantization): a pre-quantized i4 key cache, rotated
// offline, is unpacked and dequantized once per call; only the float query
// is rotated, and the work items score it against the float keys
// (attn_tile.scores, no quantized_scores).
// CHECK-LABEL: func.func @keys_only_i4_cache
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xf32>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xi4>, %{{.*}}: tensor<?x?x?x?xf32>, %[[SK:[a-z0-9]+]]: tensor<?x?x?xf32>, %[[R:[a-z0-9]+]]: tensor<?x?x?xf32>
// CHECK: %[[QR:.*]] = attn_tile.rotate %[[Q]], %[[R]]
// CHECK-NOT: attn_tile.rotate
// CHECK: %[[KL:.*]] = attn_tile.unpack_int4 %[[K]]
// CHECK: %[[KF:.*]] = attn_tile.dequantize %[[KL]] scales(%[[SK]] block 1) : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.load %[[QR]]
// CHECK: attn_tile.load %[[KF]]
// CHECK: attn_tile.scores
// CHECK-NOT: attn_tile.quantized_scores
func.func @keys_only_i4_cache(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xi4>, %v: tensor<?x?x?x?xf32>,
                              %sk: tensor<?x?x?xf32>, %r: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<?x?x?xf32>) rotation(%r : tensor<?x?x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = int4, keys_only = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xi4>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Mixed precision: the key is quantized with its salient flags (8 bits,
// range 127, where a flag is set; int4's 7 elsewhere).
// CHECK-LABEL: func.func @salient_keys
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<1x?x1xi8>
// CHECK: attn_tile.quantize %{{.*}} block(32) range(7) :
// CHECK: attn_tile.quantize %{{.*}} block(64) range(7) center salient(%[[M]] salient_range(127))
// CHECK: attn_tile.quantized_scores
func.func @salient_keys(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>,
                        %m: tensor<1x?x1xi8>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v k_salient(%m : tensor<1x?x1xi8>)
       quantization(#attn.quantized_qk<scheme = int4, q_block = 32, k_block = 64, smooth_k = true, salient_bits = 8>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// low_rank (BiPFT): q U and k W once per call (attn_tile.rotate with R-wide
// matrices), a tile of q U per work item, and per key tile the R-wide float
// score tile added to the quantized one.
// CHECK-LABEL: func.func @low_rank
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xf32>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xf32>, %{{.*}}: tensor<?x?x?x?xf32>, %[[U:[a-z0-9]+]]: tensor<?x16x4xf32>, %[[W:[a-z0-9]+]]: tensor<1x16x4xf32>
// CHECK: %[[QU:.*]] = attn_tile.rotate %[[Q]], %[[U]] : tensor<?x?x?x?xf32>, tensor<?x16x4xf32> -> tensor<?x?x?x4xf32>
// CHECK: %[[KW:.*]] = attn_tile.rotate %[[K]], %[[W]] : tensor<?x?x?x?xf32>, tensor<1x16x4xf32> -> tensor<?x?x?x4xf32>
// CHECK: attn_tile.sign %[[Q]]
// CHECK: attn_tile.sign %[[K]]
// CHECK: attn_tile.load %[[QU]]{{.*}} -> tensor<16x4xf32>
// CHECK: %[[KT:.*]] = attn_tile.load %[[KW]]{{.*}} -> tensor<8x4xf32>
// CHECK: %[[C:.*]] = attn_tile.scores %{{.*}}, %[[KT]]
// CHECK: attn_tile.quantized_scores {{.*}} plus %[[C]]
func.func @low_rank(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                    %u: tensor<?x16x4xf32>, %w: tensor<1x16x4xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v low_rank(%u, %w : tensor<?x16x4xf32>, tensor<1x16x4xf32>)
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A value cache (#attn.quantized_v): V is dequantized once per call,
// f32(v) * sv per channel (or per block of keys), before the work items;
// the key loop loads the f32 values and runs the float accumulate.
// CHECK-LABEL: func.func @value_cache_channels
// CHECK-SAME: %{{[a-z0-9]+}}: tensor<?x?x?x?xf32>, %{{[a-z0-9]+}}: tensor<?x?x?x?xf32>, %[[V:[a-z0-9]+]]: tensor<?x?x?x?xi8>, %[[SV:[a-z0-9]+]]: tensor<1x?x?xf32>
// CHECK: %[[VF:.*]] = attn_tile.dequantize %[[V]] scales(%[[SV]] block 1) channels : tensor<?x?x?x?xi8>, tensor<1x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: scf.forall
// CHECK: attn_tile.load %[[VF]]
// CHECK: attn_tile.accumulate
// CHECK-NOT: attn_tile.quantized_accumulate
func.func @value_cache_channels(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xi8>,
                                %sv: tensor<1x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<1x?x?xf32>) mask(#attn.causal)
       value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xi8> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @value_cache_fp8_blocks
// CHECK: %[[VF:.*]] = attn_tile.dequantize %{{.*}} scales(%{{.*}} block 4) : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK-NOT: channels
// CHECK: attn_tile.load %[[VF]]
func.func @value_cache_fp8_blocks(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xf8E4M3FN>,
                                  %sv: tensor<?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<?x?x?xbf16>)
       value_quantization(#attn.quantized_v<scheme = fp8_e4m3, per = token, block = 4>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xf8E4M3FN> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
