// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=16' -canonicalize -cse | FileCheck %s --check-prefixes=CHECK,W16
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=8' -canonicalize -cse | FileCheck %s --check-prefixes=CHECK,W8
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=20' -convert-attn-tile-to-vector='vector-width=16' | FileCheck %s --check-prefix=ODD
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=16' -convert-attn-tile-to-loops | FileCheck %s --check-prefix=LOOPS

// attn_tile.quantized_accumulate (pv = int8) with values loaded at the key
// loop's tile start: V quantized per channel (attn_tile.quantize_channels
// by vectors) and packed once per call into [B, H, ceil(N/4), 4D] (groups
// of 4 keys, channel after channel, 0 past N), then per tile the weights as bytes u = roundeven(255 w) clamped to
// [0, 255] (maxnumf: NaN gives 0), and i32 lanes of channels, each the
// 4-byte dot products of a row's broadcast weight bytes (unsigned) and the
// packed values (signed) (attn_tile.dot_bytes: vpdpbusd's semantics), then
// acc * alpha + f32(dot) * (scale * f32(1/255)) in the portable lowering's
// order.

// CHECK-LABEL: func.func @int8_pv
// V quantized per channel by vectors of channels (absmax token by token,
// then the values), one (batch, head) per work item.
// CHECK-NOT:   attn_tile.quantize_channels
// (After Q's and K's quantization and the keys' packing.)
// CHECK:       arith.xori %{{.*}}, %c-128_i8
// CHECK:       %[[VQ:.*]]:2 = scf.forall ({{.*}}) -> (tensor<?x?x?x?xi8>, tensor<?x?x?xf32>)
// CHECK:         math.absf %{{.*}} : vector<[[W:8|16]]xf32>
// CHECK:         arith.maximumf %{{.*}} : vector<[[W]]xf32>
// CHECK:         arith.divf %{{.*}} : vector<[[W]]xf32>
// CHECK:         math.roundeven %{{.*}} : vector<[[W]]xf32>
// CHECK:         arith.fptosi %{{.*}} : vector<[[W]]xf32> to vector<[[W]]xi8>
// The values' packing: the 4 rows of a group of keys interleaved by two
// rounds of shuffles (no offset: the weights are the unsigned operand).
// CHECK:       %[[PACKED:.*]] = scf.forall (%{{.*}}, %{{.*}}) in {{.*}} -> (tensor<?x?x?x?xi8>)
// CHECK:         vector.transfer_read %[[VQ]]#0
// (the pairs' shuffles canonicalize to vector.interleave)
// W16:           vector.interleave {{.*}} : vector<16xi8> -> vector<32xi8>
// W16:           vector.shuffle {{.*}} : vector<32xi8>, vector<32xi8>
// W8:            vector.interleave {{.*}} : vector<8xi8> -> vector<16xi8>
// W8:            vector.shuffle {{.*}} : vector<16xi8>, vector<16xi8>
// CHECK:         tensor.parallel_insert_slice
// CHECK:       scf.forall
// CHECK:         attn_tile.for_key_tiles
// The weight bytes, by vectors of keys.
// CHECK:           math.roundeven %{{.*}} : vector<[[W]]xf32>
// CHECK:           arith.maxnumf %{{.*}} : vector<[[W]]xf32>
// CHECK:           arith.minnumf %{{.*}} : vector<[[W]]xf32>
// CHECK:           arith.fptosi %{{.*}} : vector<[[W]]xf32> to vector<[[W]]xi32>
// CHECK:           arith.trunci %{{.*}} : vector<[[W]]xi32> to vector<[[W]]xi8>
// CHECK:           vector.transfer_write {{.*}} : vector<[[W]]xi8>, tensor<16x32xi8>
// Per group of 4 keys: a row's 4 weight bytes broadcast, the packed values.
// CHECK:           vector.transfer_read {{.*}} : tensor<16x32xi8>, vector<4xi8>
// W16:             %[[V16:.*]] = vector.transfer_read %[[PACKED]]{{.*}} : tensor<?x?x?x?xi8>, vector<64xi8>
// W16:             attn_tile.dot_bytes %{{.*}}, %{{.*}}, %[[V16]] : vector<64xi8> -> vector<16xi32>
// W8:              %[[V8:.*]] = vector.transfer_read %[[PACKED]]{{.*}} : tensor<?x?x?x?xi8>, vector<32xi8>
// W8:              attn_tile.dot_bytes %{{.*}}, %{{.*}}, %[[V8]] : vector<32xi8> -> vector<8xi32>
// Then acc * alpha + f32(dot) * (scale * 1/255).
// CHECK:           %[[F:.*]] = arith.mulf %{{.*}}, %cst{{.*}} : vector<[[W]]xf32>
// CHECK:           arith.mulf
// CHECK:           %[[D:.*]] = arith.sitofp %{{.*}} : vector<[[W]]xi32> to vector<[[W]]xf32>
// CHECK:           %[[P:.*]] = arith.mulf %[[D]], %[[F]]
// CHECK:           %[[R:.*]] = arith.addf %{{.*}}, %[[P]]
// CHECK:           vector.transfer_write %[[R]]
// CHECK-NOT:       attn_tile.quantized_accumulate
// Key tiles the width does not divide keep the op for the portable lowering.
// ODD-LABEL: func.func @int8_pv
// ODD: attn_tile.quantized_accumulate
// The portable lowering then sees no quantized P V; quantize_channels is its.
// LOOPS-LABEL: func.func @int8_pv
// LOOPS-NOT: attn_tile.quantize_channels
// LOOPS-NOT: attn_tile.quantized_accumulate
// LOOPS: attn_tile.dot_bytes
func.func @int8_pv(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, pv = int8>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
