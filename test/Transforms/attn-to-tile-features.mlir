// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 linear-chunk=0' -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-to-tile='linear-chunk=5' -split-input-file | FileCheck %s --check-prefix=CHUNK
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 linear-chunk=0' -convert-attn-tile-to-loops -split-input-file | FileCheck %s --check-prefix=LOOPS
// RUN: attn-opt %s -attn-to-tile='linear-chunk=5' -convert-attn-tile-to-vector='vector-width=8' -convert-attn-tile-to-loops -split-input-file | FileCheck %s --check-prefix=LOOPS

// The feature maps that change the feature dimension (hedgehog, taylor2)
// in the tile program: attn_tile.expand_features on each loaded Q and K
// tile (the query head's weights for hedgehog), scores over the F'
// features; the chunked form's state is [F' x Dv] (2F for hedgehog,
// 1 + D + D^2 for taylor2). Both tile lowerings lower every op
// (expand_features by the portable one).

// CHECK-LABEL: func.func @hedgehog
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %{{.*}}) in
// CHECK: %[[QT:.*]] = attn_tile.load %{{.*}}[%[[B]], %[[H]], %{{.*}}] : tensor<?x?x?x?xf32> -> tensor<16x?xf32>
// CHECK: %[[FQ:.*]] = attn_tile.expand_features %[[QT]] map(<hedgehog>) weights(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?xf32>) head %[[H]] : tensor<16x?xf32> -> tensor<16x?xf32>
// CHECK: attn_tile.for_key_tiles
// CHECK: %[[KT:.*]] = attn_tile.load %{{.*}} : tensor<?x?x?x?xf32> -> tensor<8x?xf32>
// CHECK: %[[FK:.*]] = attn_tile.expand_features %[[KT]] map(<hedgehog>) weights(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?xf32>) head %[[H]] : tensor<8x?xf32> -> tensor<8x?xf32>
// CHECK: attn_tile.scores %[[FQ]], %[[FK]] scale %{{.*}} : tensor<16x?xf32>, tensor<8x?xf32> -> tensor<16x8xf32>
// CHUNK-LABEL: func.func @hedgehog
// CHUNK: scf.forall (%{{.*}}, %[[H:.*]]) in
// CHUNK: %[[C2:.*]] = arith.constant 2 : index
// CHUNK: %[[F:.*]] = tensor.dim %{{.*}}, %c1{{.*}} : tensor<?x?x?xf32>
// CHUNK: %[[FF:.*]] = arith.muli %[[C2]], %[[F]] : index
// CHUNK: tensor.empty(%[[FF]], %{{.*}}) : tensor<?x?xf32>
// CHUNK: tensor.empty(%[[FF]]) : tensor<?xf32>
// CHUNK: scf.for
// CHUNK: attn_tile.expand_features %{{.*}} map(<hedgehog>) weights({{.*}}) head %[[H]] : tensor<5x?xf32> -> tensor<5x?xf32>
// CHUNK: attn_tile.expand_features %{{.*}} map(<hedgehog>) weights({{.*}}) head %[[H]] : tensor<5x?xf32> -> tensor<5x?xf32>
// CHUNK: attn_tile.read_state
// CHUNK: attn_tile.update_state
// LOOPS-LABEL: func.func @hedgehog
// LOOPS-NOT: attn_tile.
// LOOPS: math.exp
// LOOPS-NOT: attn_tile.
func.func @hedgehog(%q: tensor<?x?x?x?xf32>, %w: tensor<?x?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q
       feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<?x?x?xf32>, tensor<?x?xf32>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// A static head dimension gives static features: 1 + 8 + 64 = 73.
// CHECK-LABEL: func.func @taylor2
// CHECK: attn_tile.expand_features %{{.*}} map(<taylor2>) : tensor<16x8xf32> -> tensor<16x73xf32>
// CHECK: attn_tile.expand_features %{{.*}} map(<taylor2>) : tensor<8x8xf32> -> tensor<8x73xf32>
// CHECK: attn_tile.scores %{{.*}}, %{{.*}} scale %{{.*}} : tensor<16x73xf32>, tensor<8x73xf32> -> tensor<16x8xf32>
// CHUNK-LABEL: func.func @taylor2
// CHUNK: scf.forall
// CHUNK: %[[D:.*]] = tensor.dim %{{.*}}, %c3{{.*}} : tensor<2x4x40x8xf32>
// CHUNK: %[[D1:.*]] = arith.addi %c1{{.*}}, %[[D]] : index
// CHUNK: %[[DD:.*]] = arith.muli %[[D]], %[[D]] : index
// CHUNK: %[[FF:.*]] = arith.addi %[[D1]], %[[DD]] : index
// CHUNK: tensor.empty(%[[FF]], %{{.*}}) : tensor<?x?xf32>
// CHUNK: attn_tile.expand_features %{{.*}} map(<taylor2>) : tensor<5x8xf32> -> tensor<5x73xf32>
// LOOPS-LABEL: func.func @taylor2
// LOOPS-NOT: attn_tile.
// LOOPS: return
func.func @taylor2(%q: tensor<2x4x40x8xf32>) -> tensor<2x4x40x8xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<taylor2>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>)
       : tensor<2x4x40x8xf32>, tensor<2x4x40x8xf32>, tensor<2x4x40x8xf32> -> tensor<2x4x40x8xf32>
  return %o : tensor<2x4x40x8xf32>
}

// -----

// Efficient Attention: a query map and a key map of their own. The key map
// over the sequence (sequence_softmax) is one attn_tile.sequence_map before
// the work items; the key tiles load its result unmapped, the query tile
// takes the row softmax (expand_features, F' = D). Non-causal without a
// mask: with linear-chunk = 5 the global O(N) form, the state of all the
// keys (update_state over key chunks) read by every query chunk.

// CHECK-LABEL: func.func @efficient
// CHECK: %[[PK:.*]] = attn_tile.sequence_map %[[K:.*]] map(<softmax, keys = sequence_softmax>) : tensor<1x2x40x8xbf16> -> tensor<1x2x40x8xf32>
// CHECK: scf.forall
// CHECK: %[[QT:.*]] = attn_tile.load %{{.*}} : tensor<1x2x40x8xbf16> -> tensor<16x8xf32>
// CHECK: %[[FQ:.*]] = attn_tile.expand_features %[[QT]] map(<softmax>) : tensor<16x8xf32> -> tensor<16x8xf32>
// CHECK: attn_tile.for_key_tiles
// CHECK: %[[KT:.*]] = attn_tile.load %[[PK]][{{.*}}] : tensor<1x2x40x8xf32> -> tensor<8x8xf32>
// CHECK-NOT: attn_tile.feature_map
// CHECK: attn_tile.scores %[[FQ]], %[[KT]] scale %{{.*}} : tensor<16x8xf32>, tensor<8x8xf32> -> tensor<16x8xf32>
// CHUNK-LABEL: func.func @efficient
// CHUNK: %[[PK:.*]] = attn_tile.sequence_map
// CHUNK: scf.forall
// CHUNK: %[[ST:.*]]:2 = scf.for %{{.*}} step %c5
// CHUNK: %[[KT:.*]] = attn_tile.load %[[PK]]
// CHUNK: attn_tile.update_state %{{.*}}, %{{.*}}, %[[KT]], %{{.*}} at
// CHUNK: scf.for %{{.*}} step %c5
// CHUNK: %[[FQ:.*]] = attn_tile.expand_features %{{.*}} map(<softmax>) : tensor<5x8xf32> -> tensor<5x8xf32>
// CHUNK: attn_tile.read_state %[[FQ]], %[[ST]]#0, %[[ST]]#1
// CHUNK: attn_tile.finalize
// CHUNK-NOT: attn_tile.for_key_tiles
// CHUNK-LABEL: func.func @efficient_scaled
// LOOPS-LABEL: func.func @efficient
// LOOPS-NOT: attn_tile.
// LOOPS: return
func.func @efficient(%q: tensor<1x2x40x8xbf16>, %k: tensor<1x2x40x8xbf16>) -> tensor<1x2x40x8xbf16> {
  %o = attn.attention %q, %k, %k feature_map(#attn.feature_map<softmax, keys = sequence_softmax>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x40x8xbf16>, tensor<1x2x40x8xbf16>, tensor<1x2x40x8xbf16> -> tensor<1x2x40x8xbf16>
  return %o : tensor<1x2x40x8xbf16>
}

// -----

// Its scaling variant: K / Nk before the work items, the queries unmapped.

// CHECK-LABEL: func.func @efficient_scaled
// CHECK: %[[PK:.*]] = attn_tile.sequence_map %{{.*}} map(<identity, keys = sequence_scale>) : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: scf.forall
// CHECK-NOT: attn_tile.feature_map
// CHECK-NOT: attn_tile.expand_features
// CHECK: attn_tile.load %[[PK]]
// LOOPS-LABEL: func.func @efficient_scaled
// LOOPS-NOT: attn_tile.
// LOOPS: return
func.func @efficient_scaled(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<identity, keys = sequence_scale>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// RALA's keys weighted from the mean query (GQA: 4 query heads on 2 key
// heads): one attn_tile.key_weights before the work items gives the mapped
// and weighted keys of every query head ([B, Hq, Nk, D]); the key tiles
// load them unmapped at the query head, the query tiles take phi.

// CHECK-LABEL: func.func @rala
// CHECK: %[[KW:.*]] = attn_tile.key_weights %[[Q:.*]], %[[K:.*]] map(<elu_plus_one, keys = query_weighted>) : tensor<1x4x40x8xf32>, tensor<1x2x30x8xf32> -> tensor<1x4x30x8xf32>
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %{{.*}}) in
// CHECK: attn_tile.feature_map %{{.*}} map(<elu_plus_one>) : tensor<16x8xf32>
// CHECK: attn_tile.for_key_tiles
// CHECK: %[[KT:.*]] = attn_tile.load %[[KW]][%[[B]], %[[H]], %{{.*}}] : tensor<1x4x30x8xf32> -> tensor<8x8xf32>
// CHECK-NOT: attn_tile.feature_map
// CHECK: attn_tile.scores %{{.*}}, %[[KT]]
// CHUNK-LABEL: func.func @rala
// CHUNK: %[[KW:.*]] = attn_tile.key_weights
// CHUNK: scf.forall (%[[B:.*]], %[[H:.*]]) in
// CHUNK: scf.for %{{.*}} step %c5
// CHUNK: attn_tile.load %[[KW]][%[[B]], %[[H]], %{{.*}}]
// CHUNK: attn_tile.update_state
// CHUNK: attn_tile.read_state
// CHUNK-NOT: attn_tile.for_key_tiles
// LOOPS-LABEL: func.func @rala
// LOOPS-NOT: attn_tile.
// LOOPS: return
func.func @rala(%q: tensor<1x4x40x8xf32>, %k: tensor<1x2x30x8xf32>) -> tensor<1x4x40x8xf32> {
  %o = attn.attention %q, %k, %k feature_map(#attn.feature_map<elu_plus_one, keys = query_weighted>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x4x40x8xf32>, tensor<1x2x30x8xf32>, tensor<1x2x30x8xf32> -> tensor<1x4x40x8xf32>
  return %o : tensor<1x4x40x8xf32>
}

// -----

// Flowformer: the key weights and the row factors, which are the
// finalization's gate (in both forms).

// CHECK-LABEL: func.func @flow
// CHECK: %[[KW:.*]], %[[G:.*]] = attn_tile.key_weights %{{.*}}, %{{.*}} map(<sigmoid, keys = flow>) : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
// CHECK: attn_tile.load %[[KW]]
// CHECK: attn_tile.finalize {{.*}} gate(%[[G]]
// CHUNK-LABEL: func.func @flow
// CHUNK: %[[KW:.*]], %[[G:.*]] = attn_tile.key_weights
// CHUNK: attn_tile.finalize {{.*}} gate(%[[G]]
// LOOPS-LABEL: func.func @flow
// LOOPS-NOT: attn_tile.
// LOOPS: return
func.func @flow(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<sigmoid, keys = flow>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
