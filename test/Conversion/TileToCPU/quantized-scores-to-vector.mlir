// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=16' -canonicalize -cse | FileCheck %s --check-prefixes=CHECK,W16
// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=8' -canonicalize -cse | FileCheck %s --check-prefixes=CHECK,W8
// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=20' -convert-attn-tile-to-vector='vector-width=16' | FileCheck %s --check-prefix=ODD
// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=16' -convert-attn-tile-to-loops | FileCheck %s --check-prefix=LOOPS

// attn_tile.quantized_scores with keys loaded at the key loop's tile start:
// the i8 keys packed once per call (groups of 4 channels, key after key, as
// unsigned bytes k + 128), then per tile i32 lanes of 4-byte dot products
// (attn_tile.dot_bytes, vpdpbusd's semantics: see lower-int8-dot.mlir),
// minus 128 * sum(q) per query row, then the portable lowering's f32 scaling.

// CHECK-LABEL: func.func @sage
// The in-spec quantization by vectors of channels, one (batch, head) per
// work item: Q per 128 tokens (each block's absmax by vector maxima, then
// its values), K centered first (f64 sums token by token, the mean rounded
// to f32) and per 64 tokens.
// CHECK-NOT:   attn_tile.quantize
// CHECK:       scf.forall ({{.*}}) -> (tensor<?x?x?x?xi8>, tensor<?x?x?xf32>)
// CHECK:         arith.maximumf %{{.*}} : vector<[[W:8|16]]xf32>
// CHECK:         vector.reduction <maximumf>, %{{.*}} : vector<[[W]]xf32> into f32
// CHECK:         arith.divf %{{.*}} : vector<[[W]]xf32>
// CHECK:         math.roundeven %{{.*}} : vector<[[W]]xf32>
// CHECK:         arith.fptosi %{{.*}} : vector<[[W]]xf32> to vector<[[W]]xi8>
// CHECK:       %[[KQ:.*]]:2 = scf.forall ({{.*}}) -> (tensor<?x?x?x?xi8>, tensor<?x?x?xf32>)
// CHECK:         arith.extf %{{.*}} : vector<[[W]]xf32> to vector<[[W]]xf64>
// CHECK:         arith.addf %{{.*}} : vector<[[W]]xf64>
// CHECK:         arith.divf %{{.*}} : vector<[[W]]xf64>
// CHECK:         arith.truncf %{{.*}} : vector<[[W]]xf64> to vector<[[W]]xf32>
// CHECK:         arith.subf
// CHECK:         vector.reduction <maximumf>
// CHECK:         math.roundeven
// The keys' packing: [B, H, ceil(D/4), 4N] i8, one (batch, head) per work
// item written into its slice of the packed keys, each byte the key's sign
// bit flipped (k + 128), 0 past D.
// CHECK:       %[[PACKED:.*]] = scf.forall (%{{.*}}, %{{.*}}) in {{.*}} shared_outs(%[[ALL:.*]] = %{{.*}}) -> (tensor<?x?x?x?xi8>)
// CHECK:         %[[HEAD:.*]] = tensor.extract_slice %[[ALL]]
// CHECK:         linalg.generic {{.*}} outs(%[[HEAD]] : tensor<?x?xi8>)
// CHECK:           tensor.extract %[[KQ]]#0
// CHECK:           arith.maxsi %{{.*}}, %c-127_i8
// CHECK:           arith.xori %{{.*}}, %c-128_i8
// CHECK:         tensor.parallel_insert_slice
// CHECK:       scf.forall
// The query tile, padded to whole groups, and its rows' 128 * sum(q).
// CHECK:         %[[QT:.*]], %{{.*}} = attn_tile.load_quantized
// CHECK:         tensor.insert_slice %[[QT]]
// CHECK:         linalg.generic {{.*}} ins(%[[QT]] : tensor<16x?xi8>) outs(%{{.*}} : tensor<16xi32>)
// CHECK:         attn_tile.for_key_tiles
// CHECK-NOT:       attn_tile.quantized_scores
// Keys: masked reads of the packed bytes (past the sequence end: 128, k = 0).
// W16:             vector.transfer_read %[[PACKED]]{{.*}} : tensor<?x?x?x?xi8>, vector<64xi8>
// W16:             attn_tile.dot_bytes {{.*}} : vector<64xi8> -> vector<16xi32>
// W8:              vector.transfer_read %[[PACKED]]{{.*}} : tensor<?x?x?x?xi8>, vector<32xi8>
// W8:              attn_tile.dot_bytes {{.*}} : vector<32xi8> -> vector<8xi32>
// The offset out, then f32(dot) * sq * sk * scale.
// CHECK:           arith.subi %{{.*}} : vector<{{8|16}}xi32>
// CHECK:           arith.sitofp %{{.*}} : vector<{{8|16}}xi32> to vector<{{8|16}}xf32>
// CHECK:           arith.mulf
// CHECK:           arith.mulf
// CHECK:           %[[S:.*]] = arith.mulf
// CHECK:           vector.transfer_write %[[S]]
// The portable lowering then sees no quantized scores, and key tiles' values
// are no longer loaded (only their scales).
// LOOPS-LABEL: func.func @sage
// LOOPS-NOT:   attn_tile.quantized_scores
// LOOPS:       attn_tile.dot_bytes
// Key tiles the width does not divide keep the portable op.
// ODD-LABEL: func.func @sage
// ODD:       attn_tile.quantized_scores
// ODD-NOT:   attn_tile.dot_bytes
func.func @sage(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 128,
                                       k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// 1-bit signs (BinaryAttention) are i8 +1/-1 tiles: the same kernel.
// CHECK-LABEL: func.func @signs
// CHECK:       attn_tile.sign %arg1
// CHECK:       scf.forall
// CHECK-NOT:     attn_tile.quantized_scores
// W16:           attn_tile.dot_bytes
// ODD-LABEL: func.func @signs
// ODD:       attn_tile.quantized_scores
func.func @signs(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
