// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' -split-input-file | FileCheck %s
// RUN: not attn-opt %s -attn-to-tile='tile-q=0' -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// RUN: not attn-opt %s -attn-to-tile='split-kv=-1' -split-input-file 2>&1 | FileCheck %s --check-prefix=BADSPLIT
// RUN: not attn-opt %s -attn-to-tile='tile-q=2048 tile-kv=1024' -split-input-file 2>&1 | FileCheck %s --check-prefix=BADAREA
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 split-kv=4' -split-input-file | FileCheck %s --check-prefix=SPLIT
// RUN: attn-opt %s -attn-to-tile='linear-chunk=5' -split-input-file | FileCheck %s --check-prefix=CHUNK
// RUN: attn-opt %s -attn-to-tile='split-kv=0' -split-input-file | FileCheck %s --check-prefix=AUTO

// split-kv = 0: the split count is computed at run time, aiming at 64
// first-phase work items with at least 4 key tiles per split.
// AUTO-LABEL: func.func @causal
// AUTO: %[[QT:.*]] = arith.ceildivui %{{.*}}, %c32 : index
// AUTO: %[[KT:.*]] = arith.ceildivui %{{.*}}, %c32{{.*}} : index
// AUTO: %[[BH:.*]] = arith.muli
// AUTO: %[[ITEMS:.*]] = arith.muli %[[BH]], %[[QT]]
// AUTO: %[[NZ:.*]] = arith.maxsi %[[ITEMS]], %c1
// AUTO: %[[WANT:.*]] = arith.ceildivui %c64, %[[NZ]]
// AUTO: %[[MOST:.*]] = arith.ceildivui %[[KT]], %c4
// AUTO: arith.minsi %[[WANT]], %[[MOST]]
// AUTO: scf.forall ({{.*}}) in ({{.*}}) shared_outs
// AUTO: attn_tile.merge
// RUN: not attn-opt %s -attn-to-tile='linear-chunk=2000' -split-input-file 2>&1 | FileCheck %s --check-prefix=BADCHUNK
// BADCHUNK: attn-to-tile: linear-chunk must be in [0, 1024] (0: the quadratic form), got 2000

// BAD: attn-to-tile: tile-program tiles must be in [1, 4096], got tile-q 0, tile-kv 32
// BADSPLIT: attn-to-tile: split-kv must be in [0, 4096] (0: automatic), got -1
// BADAREA: attn-to-tile: tile-program score tiles hold at most 1048576 elements, got tile-q 2048 x tile-kv 1024

// The split-KV form: min(4, key tiles) splits at run time, work items
// (batch, head, query tile, split) each writing an unnormalized partial
// result of whole tiles, then one work item per query tile merging them.
// SPLIT-LABEL: func.func @causal
// SPLIT: %[[NKT:.*]] = arith.ceildivui %{{.*}}, %c8
// SPLIT: %[[FEW:.*]] = arith.minsi %c4{{.*}}, %[[NKT]]
// SPLIT: %[[SPLITS:.*]] = arith.maxsi %c1{{.*}}, %[[FEW]]
// SPLIT: %[[PARTS:.*]]:3 = scf.forall (%[[B:.*]], %[[H:.*]], %{{.*}}, %[[S:.*]]) in (%{{.*}}, %{{.*}}, %{{.*}}, %[[SPLITS]]) shared_outs({{.*}}) -> (tensor<?x?x?x?x16xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>)
// SPLIT:   attn_tile.for_key_tiles keys(%{{.*}}) range(%{{.*}}, %{{.*}}) queries
// SPLIT-NOT: attn_tile.finalize
// SPLIT:   tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[H]], %[[S]], %{{.*}}, 0] [1, 1, 1, 16, 16]
// SPLIT: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in
// SPLIT:   %[[ACCS:.*]] = tensor.extract_slice %[[PARTS]]#0{{.*}} to tensor<?x16x16xf32>
// SPLIT:   attn_tile.merge %[[ACCS]], %{{.*}}, %{{.*}} : tensor<?x16x16xf32>, tensor<?x16xf32> -> tensor<16x16xf32>, tensor<16xf32>
// SPLIT:   attn_tile.finalize
// Two-pass specs keep one forall.
// SPLIT-LABEL: func.func @two_passes
// SPLIT-NOT: attn_tile.merge
// SPLIT-LABEL: func.func @region
// SPLIT-LABEL: func.func @block_sparse
// SPLIT-LABEL: func.func @sigmoid
// SPLIT: attn_tile.merge {{.*}} normalization(<sigmoid>)

// One pass: a work-item forall, the key loop with the online update and
// P V rescaled by alpha, the division by the row sum in finalize.
// CHECK-LABEL: func.func @causal
// CHECK: %[[NQT:.*]] = arith.ceildivui %{{.*}}, %c16
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %[[QT:.*]]) in (%{{.*}}, %{{.*}}, %[[NQT]]) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:   %[[Q0:.*]] = arith.muli %[[QT]], %c16
// CHECK:   %[[QTILE:.*]] = attn_tile.load %arg0[%[[B]], %[[H]], %[[Q0]]] : tensor<2x4x40x16xf32> -> tensor<16x16xf32>
// CHECK:   attn_tile.for_key_tiles keys(%{{.*}}) queries(%[[Q0]], %{{.*}}) iter_args({{.*}} : tensor<16xf32>, tensor<16xf32>, tensor<16x16xf32>) attributes {mask = #attn.causal, tile_kv = 8 : i64, tile_q = 16 : i64}
// CHECK:   ^bb0(%[[K0:.*]]: index, %[[PARTIAL:.*]]: i1,
// CHECK:     attn_tile.scores %[[QTILE]], %{{.*}} scale %{{.*}} : tensor<16x16xf32>, tensor<8x16xf32> -> tensor<16x8xf32>
// CHECK:     %[[MASKED:.*]] = attn_tile.mask {{.*}} partial %[[PARTIAL]] mask(#attn.causal)
// CHECK-NOT: attn_tile.modify
// CHECK:     %{{.*}}, %{{.*}}, %{{.*}}, %[[ALPHA:.*]] = attn_tile.online_update
// P V skips the pairs the mask excludes (their value rows may hold NaN).
// CHECK:     attn_tile.accumulate {{.*}} rescale(%[[ALPHA]] : tensor<16xf32>) excluding(%[[MASKED]] : tensor<16x8xf32>)
// CHECK:   attn_tile.finalize {{.*}} {divide} : tensor<16x16xf32>, tensor<16xf32> -> tensor<16x16xf32>
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], %[[Q0]], 0]
func.func @causal(%q: tensor<2x4x40x16xf32>, %k: tensor<2x4x40x16xf32>,
                  %v: tensor<2x4x40x16xf32>) -> tensor<2x4x40x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<2x4x40x16xf32>, tensor<2x4x40x16xf32>, tensor<2x4x40x16xf32>
         -> tensor<2x4x40x16xf32>
  return %o : tensor<2x4x40x16xf32>
}

// -----

// No mask: the key loop has no mask to classify (tiles are partial only at
// the sequence ends); score modifications, sinks, a gate and the logsumexp.
// CHECK-LABEL: func.func @mods_sinks_gate_lse
// CHECK: scf.forall {{.*}} shared_outs(%{{.*}} = %{{.*}}, %[[LSE:.*]] = %{{.*}}) -> (tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>)
// CHECK:   attn_tile.for_key_tiles {{.*}} attributes {tile_kv = 8 : i64, tile_q = 16 : i64}
// CHECK:     attn_tile.mask
// CHECK-NOT: mask(
// CHECK:     attn_tile.modify {{.*}} bias(%{{.*}} : tensor<1x?x?x?xf32>) score_mods([#attn.softcap<5.000000e+01>])
// CHECK:   %[[SINK:.*]] = arith.extf
// CHECK:   %{{.*}}, %{{.*}}, %[[SCALE:.*]] = attn_tile.fold_sink %{{.*}}, %{{.*}}, %[[SINK]] : tensor<16xf32>
// CHECK:   attn_tile.finalize {{.*}} rescale(%[[SCALE]] : tensor<16xf32>) gate(%{{.*}} : tensor<?x?x?xf32> at {{.*}}) {divide} : tensor<16x?xf32>, tensor<16xf32> -> tensor<16x?xbf16>, tensor<16xf32>
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[LSE]]
func.func @mods_sinks_gate_lse(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                               %v: tensor<?x?x?x?xbf16>, %bias: tensor<1x?x?x?xf32>,
                               %sinks: tensor<?xbf16>, %gate: tensor<?x?x?xf32>)
    -> (tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v bias(%bias : tensor<1x?x?x?xf32>)
       sink_logits(%sinks : tensor<?xbf16>) output_gate(%gate : tensor<?x?x?xf32>)
       score_mods([#attn.softcap<50.0>])
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
}

// -----

// A weight_mod under softmax needs normalized weights: two key loops, the
// first for the statistics, the second for final weights and P V; the
// finalization then divides nothing.
// CHECK-LABEL: func.func @two_passes
// CHECK: %[[STATS:.*]]:2 = attn_tile.for_key_tiles {{.*}} iter_args({{.*}} : tensor<16xf32>, tensor<16xf32>) attributes {mask = #attn.causal,
// CHECK:   attn_tile.online_update
// CHECK-NOT: attn_tile.accumulate
// CHECK: attn_tile.for_key_tiles {{.*}} iter_args({{.*}} : tensor<16x16xf32>)
// CHECK:   %[[MASKED:.*]] = attn_tile.mask
// CHECK:   %[[W:.*]] = attn_tile.final_weights %{{.*}}, %[[STATS]]#0, %[[STATS]]#1
// CHECK:   %[[W2:.*]] = attn_tile.weight_mod %[[W]], %[[MASKED]]
// CHECK:   attn_tile.accumulate %[[W2]], %{{.*}} into %{{.*}} excluding(%[[MASKED]] : tensor<16x8xf32>) : tensor<16x8xf32>
// CHECK: attn_tile.finalize
// CHECK-NOT: divide
// CHECK-SAME: -> tensor<16x16xf32>
func.func @two_passes(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                      %v: tensor<1x2x20x16xf32>) -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) weight_mod {
  ^bb0(%w: f32, %raw: f32, %b: index, %h: index, %i: index, %j: index):
    %two = arith.constant 2.0 : f32
    %y = arith.mulf %w, %two : f32
    attn.yield %y : f32
  } : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
      -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// A mask_fn region: every tile is partial (region_masked), the attribute
// mask still classifies (skips) tiles.
// CHECK-LABEL: func.func @region
// CHECK: attn_tile.for_key_tiles {{.*}} attributes {mask = #attn.window<left = 3, right = 3>, region_masked,
// CHECK:   attn_tile.mask {{.*}} mask(#attn.window<left = 3, right = 3>) mask_fn
func.func @region(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                  %v: tensor<1x2x20x16xf32>) -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.window<left = 3, right = 3>) mask_fn {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %ok = arith.cmpi ne, %i, %j : index
    attn.yield %ok : i1
  } : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
      -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// A block layout the mask reads is the schedule's run-time tile list.
// CHECK-LABEL: func.func @block_sparse
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %{{.*}}) in
// CHECK:   attn_tile.for_key_tiles {{.*}} layout(%arg3 : tensor<1x?x5x5xi8> at %[[B]], %[[H]]) {{.*}}attributes {mask = #attn.block_sparse<block_q = 4, block_kv = 4>,
// CHECK:     attn_tile.mask {{.*}} block_layout(%arg3 : tensor<1x?x5x5xi8>) mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
func.func @block_sparse(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                        %v: tensor<1x2x20x16xf32>, %l: tensor<1x?x5x5xi8>)
    -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v block_layout(%l : tensor<1x?x5x5xi8>)
       mask(#attn.block_sparse<block_q = 4, block_kv = 4>)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// A pointwise normalization without l1: one pass, no rescale, no division.
// CHECK-LABEL: func.func @sigmoid
// CHECK: attn_tile.online_update {{.*}} normalization(<sigmoid>)
// CHECK: attn_tile.accumulate
// CHECK-NOT: rescale
// CHECK-SAME: -> tensor<16x16xf32>
// CHECK: attn_tile.finalize
// CHECK-NOT: divide
// CHECK-SAME: -> tensor<16x16xf32>
func.func @sigmoid(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                   %v: tensor<1x2x20x16xf32>) -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid>)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// Linear attention in the quadratic form (a mask other than #attn.causal
// alone): phi on the query tile (once per work item) and on each key tile,
// the log-decay prefix sums once per work item, and the decay on the scores
// after masking, before the (identity + l1) update.
// CHECK-LABEL: func.func @linear
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]], %{{.*}}) in
// CHECK:   %[[QT:.*]] = attn_tile.load %arg0
// CHECK:   %[[FQ:.*]] = attn_tile.feature_map %[[QT]] map(<elu_plus_one>) : tensor<16x16xf32>
// CHECK:   %[[C:.*]] = attn_tile.decay_prefix %arg3[%[[B]], %[[H]]] length %{{.*}} : tensor<1x2x20xf32> -> tensor<?xf64>
// CHECK:   attn_tile.for_key_tiles
// CHECK:     %[[KT:.*]] = attn_tile.load %arg1
// CHECK:     %[[FK:.*]] = attn_tile.feature_map %[[KT]] map(<elu_plus_one>)
// CHECK:     %[[S:.*]] = attn_tile.scores %[[FQ]], %[[FK]]
// CHECK:     %[[M:.*]] = attn_tile.mask %[[S]]
// CHECK:     %[[D:.*]] = attn_tile.decay %[[M]], %[[C]] at(
// CHECK:     attn_tile.online_update %[[D]], {{.*}} normalization(<identity, l1>)
// CHECK:   attn_tile.finalize {{.*}} {divide}
func.func @linear(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                  %v: tensor<1x2x20x16xf32>, %a: tensor<1x2x20xf32>)
    -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<1x2x20xf32>)
       feature_map(#attn.feature_map<elu_plus_one>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 9, right = 0>]>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// Causal linear attention: the chunked form (linear-chunk, default 64; 5
// with CHUNK). Work items are (batch, head); an scf.for walks the chunks in
// order carrying the state [D, Dv], its key sum [D] and the head's output
// rows. Per chunk: the intra-chunk quadratic part on top of the state's
// part, the rows of the chunk inserted, then the state update.
// CHECK-LABEL: func.func @linear_chunked
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]]) in (%{{.*}}, %{{.*}}) shared_outs
// CHECK:   %[[C:.*]] = attn_tile.decay_prefix %arg3[%[[B]], %[[H]]]
// CHECK:   %[[LOOP:.*]]:3 = scf.for %[[C0:.*]] = %{{.*}} to %{{.*}} step %c64 iter_args(%[[S:.*]] = %{{.*}}, %[[Z:.*]] = %{{.*}}, %[[ROWS:.*]] = %{{.*}}) -> (tensor<?x?xf32>, tensor<?xf32>, tensor<?x?xf32>)
// CHECK:     %[[FQ:.*]] = attn_tile.feature_map {{.*}} : tensor<64x16xf32>
// CHECK:     %[[FK:.*]] = attn_tile.feature_map
// CHECK:     %[[SC:.*]] = attn_tile.scores %[[FQ]], %[[FK]]
// CHECK:     %[[M:.*]] = attn_tile.mask %[[SC]] {{.*}} partial %true mask(#attn.causal)
// CHECK:     %[[D:.*]] = attn_tile.decay %[[M]], %[[C]]
// CHECK:     %[[ACC:.*]], %[[SUM:.*]] = attn_tile.read_state %[[FQ]], %[[S]], %[[Z]] scale %{{.*}} at %[[C0]] length %{{.*}} decay(%[[C]] : tensor<?xf64>)
// CHECK:     %{{.*}}, %{{.*}}, %[[NEWSUM:.*]], %{{.*}} = attn_tile.online_update %[[D]], %{{.*}}, %[[SUM]] normalization(<identity, l1>)
// CHECK:     %[[OUT:.*]] = attn_tile.accumulate {{.*}} into %[[ACC]] excluding(%[[M]]
// CHECK:     attn_tile.finalize %[[OUT]], %{{.*}}, %[[NEWSUM]] {divide}
// CHECK:     tensor.insert_slice {{.*}} into %[[ROWS]]
// CHECK:     attn_tile.update_state %[[S]], %[[Z]], %[[FK]], {{.*}} at %[[C0]] length %{{.*}} decay(%[[C]] : tensor<?xf64>)
// CHECK:   tensor.parallel_insert_slice %[[LOOP]]#2 into %{{.*}}[%[[B]], %[[H]], 0, 0]
// CHUNK-LABEL: func.func @linear_chunked
// CHUNK: scf.for {{.*}} step %c5
func.func @linear_chunked(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                          %v: tensor<1x2x20x16xf32>, %a: tensor<1x2x20xf32>)
    -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<1x2x20xf32>)
       feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// A gate per key channel (GLA, rank-4 decay): per-channel prefix sums once
// per work item, the gate inside each chunk's scores (gated_scores, no
// decay op after the mask), and the state read and folded per channel.
// CHECK-LABEL: func.func @gla_chunked
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]]) in (%{{.*}}, %{{.*}}) shared_outs
// CHECK:   %[[G:.*]] = attn_tile.decay_prefix %arg3[%[[B]], %[[H]]] length %{{.*}} : tensor<1x2x20x16xf32> -> tensor<?x?xf64>
// CHECK:   scf.for %[[C0:.*]] = %{{.*}} to %{{.*}} step %c64
// CHECK:     %[[QT:.*]] = attn_tile.load %arg0
// CHECK:     %[[KT:.*]] = attn_tile.load %arg1
// CHECK:     %[[SC:.*]] = attn_tile.gated_scores %[[QT]], %[[KT]], %[[G]] scale %{{.*}} at(%{{.*}}, %[[C0]])
// CHECK:     %[[M:.*]] = attn_tile.mask %[[SC]]
// CHECK-NOT: attn_tile.decay %
// CHECK:     attn_tile.read_state %[[QT]], {{.*}} decay(%[[G]] : tensor<?x?xf64>)
// CHECK:     attn_tile.online_update %[[M]]
// CHECK:     attn_tile.update_state {{.*}}, %[[KT]], {{.*}} decay(%[[G]] : tensor<?x?xf64>)
// The quadratic form: the gated scores of each key tile.
// CHECK-LABEL: func.func @gla_window
// CHECK:   attn_tile.decay_prefix {{.*}} -> tensor<?x?xf64>
// CHECK:   attn_tile.for_key_tiles
// CHECK:     %[[QS:.*]] = attn_tile.gated_scores
// CHECK:     %[[QM:.*]] = attn_tile.mask %[[QS]]
// CHECK:     attn_tile.online_update %[[QM]]
func.func @gla_chunked(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                       %v: tensor<1x2x20x16xf32>, %a: tensor<1x2x20x16xf32>)
    -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<1x2x20x16xf32>)
       mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}
func.func @gla_window(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                      %v: tensor<1x2x20x16xf32>, %a: tensor<1x2x20x16xf32>)
    -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<1x2x20x16xf32>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 9, right = 0>]>)
       normalization(#attn.normalize<identity>)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// tile-q is an upper bound: one static query makes a one-row query tile.
// CHECK-LABEL: func.func @decode
// CHECK: attn_tile.load %arg0[{{.*}}] : tensor<2x4x1x16xf32> -> tensor<1x16xf32>
// CHECK: attn_tile.scores {{.*}} -> tensor<1x8xf32>
func.func @decode(%q: tensor<2x4x1x16xf32>, %k: tensor<2x4x40x16xf32>,
                  %v: tensor<2x4x40x16xf32>) -> tensor<2x4x1x16xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<2x4x1x16xf32>, tensor<2x4x40x16xf32>, tensor<2x4x40x16xf32>
         -> tensor<2x4x1x16xf32>
  return %o : tensor<2x4x1x16xf32>
}
