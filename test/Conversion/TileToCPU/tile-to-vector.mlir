// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=16' -canonicalize -cse | FileCheck %s
// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=8' -convert-attn-tile-to-loops | FileCheck %s --check-prefix=W8
// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=20' -convert-attn-tile-to-vector='vector-width=16' | FileCheck %s --check-prefix=ODD
// RUN: not attn-opt %s -split-input-file -convert-attn-tile-to-vector='vector-width=12' 2>&1 | FileCheck %s --check-prefix=WIDTH

// The key loop's ops become vector kernels on tensors; what the pass does
// not take stays attn_tile for the portable lowering (with 8 lanes: nothing of
// attn_tile is left once it has run).

// WIDTH: vector-width must be 4, 8 or 16, got 12

// Key tiles that whole vectors do not divide keep the portable scores.
// ODD-LABEL: func.func @causal
// ODD: attn_tile.scores
// ODD-LABEL: func.func @decode
// ODD: attn_tile.scores

// CHECK-LABEL: func.func @causal
// The value tiles probed for infinities and NaNs once per call, one probe
// per (batch, head, key tile), in a parallel loop of their own.
// CHECK:       %[[PROBES:.*]] = scf.forall ({{.*}}) in {{.*}} -> (tensor<?x?x?xf32>)
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK:         tensor.parallel_insert_slice
// The keys, packed by key tiles to [B, H, ceil(N / 32), D, 32] in f32
// once, before the work items, one (batch, head) per item of their own
// parallel loop: by 16 x 16 blocks in registers (four rounds of shuffles),
// channels past D read as 0 (D padded to whole vectors), each block written
// into its key tile's panel.
// CHECK:       %[[KT:.*]] = scf.forall (%[[B:.*]], %[[H:.*]]) in {{.*}} -> (tensor<?x?x?x?x32xf32>)
// CHECK:         %[[HEAD:.*]] = tensor.extract_slice %arg1[%[[B]], %[[H]], 0, 0]
// CHECK:         vector.create_mask
// CHECK:         vector.transfer_read %[[HEAD]]{{.*}} : tensor<?x?xbf16>, vector<16xbf16>
// CHECK-COUNT-64:  vector.shuffle
// CHECK-NOT:       vector.shuffle
// CHECK:           vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<?x?x32xf32>
// CHECK:         tensor.parallel_insert_slice
// CHECK:       scf.forall
// The query tile: row vectors of bf16 widened to f32.
// CHECK:         vector.transfer_read %arg0{{.*}} : tensor<?x?x?x?xbf16>, vector<16xbf16>
// CHECK:         arith.extf %{{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK:         attn_tile.for_key_tiles
// Q K^T: 6 query rows x 2 key vectors of accumulators over the head
// dimension (16 rows: three blocks of 6, the last one starting at row 10,
// overlapping the second: one copy of the kernel). Key vectors inside the
// sequence read without masks; past its end, one mask per key vector made
// outside that loop.
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c6
// CHECK-NEXT:        arith.minsi %{{.*}}, %c10
// CHECK:             %[[INSIDE:.*]] = arith.cmpi sle
// CHECK:             scf.if %[[INSIDE]] -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-NOT:           vector.create_mask
// CHECK:               scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:                 vector.transfer_read %[[KT]]{{.*}} {in_bounds = [true]} : tensor<?x?x?x?x32xf32>, vector<16xf32>
// CHECK-COUNT-6:         math.fma {{.*}} : vector<16xf32>
// CHECK:             } else {
// CHECK:               vector.create_mask
// CHECK:               scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:                 vector.transfer_read %[[KT]]{{.*}}, %{{.*}} {in_bounds = [true]}
// CHECK-COUNT-6:         math.fma {{.*}} : vector<16xf32>
// The causal mask on partial tiles: key lanes against the row's position.
// CHECK:           scf.if %{{.*}} -> (tensor<16x32xf32>)
// CHECK:             arith.cmpi slt, %{{.*}} : vector<16xi64>
// CHECK:             arith.cmpi sle, %{{.*}} : vector<16xi64>
// CHECK:             arith.select %{{.*}} : vector<16xi1>, vector<16xf32>
// The online update: row maxima by a tree of halves, the statistics step
// on a vector of rows (exp of 16 rows at once), then the weights.
// CHECK:           arith.maximumf %{{.*}} : vector<8xf32>
// CHECK:           arith.maximumf %{{.*}} : vector<1xf32>
// CHECK:           math.exp %{{.*}} : vector<16xf32>
// CHECK:           math.exp %{{.*}} : vector<16xf32>
// CHECK:           arith.addf %{{.*}} : vector<1xf32>
// P V reads the values from the source (no copy). Values with only finite
// numbers run the kernel, the others load the tile and keep the op (an
// excluded key's NaN must not reach any row).
// CHECK:           %[[PROBE:.*]] = tensor.extract %[[PROBES]]
// CHECK:           %[[FINITE:.*]] = arith.cmpf oeq, %[[PROBE]]
// CHECK:           scf.if %[[FINITE]]
// CHECK:             vector.transfer_read %arg2{{.*}} : tensor<?x?x?x?xbf16>, vector<16xbf16>
// CHECK:             math.fma {{.*}} : vector<16xf32>
// CHECK:           } else {
// CHECK-NEXT:        attn_tile.load %arg2
// CHECK-NEXT:        attn_tile.accumulate {{.*}} excluding
// The end of the tile: 1 / sum once per row, the row scaled by vectors,
// narrowed to bf16.
// CHECK:         arith.divf
// CHECK:         arith.mulf %{{.*}} : vector<16xf32>
// CHECK:         arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK-NOT:     attn_tile.finalize

// W8-LABEL: func.func @causal
// W8-NOT: attn_tile.
// W8: math.fma {{.*}} : vector<8xf32>
// W8-NOT: attn_tile.
func.func @causal(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                  %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// -----

// One query per tile (decode): row dot products, no packed keys; the
// mask_fn region runs on key lanes (j % 3 on index vectors, its divisor
// guarded per lane, folded here for the constant 3), the softcap is vector
// code (kept entries only: -inf stays -inf).
// CHECK-LABEL: func.func @decode
// CHECK-NOT:   linalg.generic
// CHECK:       attn_tile.for_key_tiles
// CHECK:         vector.transfer_read {{.*}} : tensor<32x64xf32>, vector<16xf32>
// CHECK:         math.fma
// CHECK:         arith.addf %{{.*}} : vector<1xf32>
// CHECK-NOT:     attn_tile.mask
// CHECK:         arith.remui %{{.*}} : vector<16xindex>
// CHECK-NOT:     attn_tile.modify
// CHECK:         math.tanh %{{.*}} : vector<16xf32>
// CHECK:         arith.cmpf one, %{{.*}} : vector<16xf32>
// CHECK:         arith.select %{{.*}} : vector<16xi1>, vector<16xf32>
// W8-LABEL: func.func @decode
// W8-NOT: attn_tile.
func.func @decode(%q: tensor<1x2x1x64xf32>, %k: tensor<1x2x100x64xf32>,
                  %v: tensor<1x2x100x64xf32>) -> tensor<1x2x1x64xf32> {
  %o = attn.attention %q, %k, %v score_mods([#attn.softcap<30.0>])
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c3 = arith.constant 3 : index
         %r = arith.remui %j, %c3 : index
         %c0 = arith.constant 0 : index
         %keep = arith.cmpi ne, %r, %c0 : index
         attn.yield %keep : i1
       }
       : tensor<1x2x1x64xf32>, tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32>
         -> tensor<1x2x1x64xf32>
  return %o : tensor<1x2x1x64xf32>
}

// -----

// Chunked linear attention with a decay: the feature map on row vectors,
// the decay factors by f64 key lanes
// and one vector exponential per row and vector; the state's read and
// update as outer-product kernels (nothing of them left for the portable
// lowering).
// CHECK-LABEL: func.func @decayed_linear
// CHECK-NOT:   attn_tile.decay {{.*}}:
// CHECK-NOT:   attn_tile.feature_map
// CHECK:       attn_tile.decay_prefix
// CHECK:       vector.transfer_read %{{.*}} : tensor<?xf64>, vector<16xf64>
// CHECK:       arith.truncf %{{.*}} : vector<16xf64> to vector<16xf32>
// CHECK:       math.exp %{{.*}} : vector<16xf32>
// CHECK-NOT:   attn_tile.read_state
// CHECK-NOT:   attn_tile.update_state
// W8-LABEL: func.func @decayed_linear
// W8-NOT: attn_tile.
// ODD-LABEL: func.func @decayed_linear
func.func @decayed_linear(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                          %v: tensor<?x?x?x?xf32>, %a: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<?x?x?xf32>)
       feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// A gate per key channel (GLA): the gated scores, the per-channel state read
// and update all take vector kernels, whose factors read the 2-D f64 prefix
// as lanes along the channels (nothing left for the portable lowering but
// the prefix scan).
// CHECK-LABEL: func.func @gated_linear
// CHECK:       attn_tile.decay_prefix {{.*}} -> tensor<?x?xf64>
// CHECK-NOT:   attn_tile.gated_scores
// CHECK:       vector.transfer_read %{{.*}} : tensor<?x?xf64>, vector<16xf64>
// CHECK-NOT:   attn_tile.read_state
// CHECK-NOT:   attn_tile.update_state
// W8-LABEL: func.func @gated_linear
// W8-NOT: attn_tile.
func.func @gated_linear(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>, %a: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<?x?x?x?xf32>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// ALiBi on key vectors (the distance p - j in i64 lanes, converted once);
// a bias operand keeps the portable `modify` (read per element).
// CHECK-LABEL: func.func @alibi
// CHECK-NOT:   attn_tile.modify
// CHECK:       math.absi %{{.*}} : vector<16xi64>
// CHECK:       arith.sitofp %{{.*}} : vector<16xi64> to vector<16xf32>
// W8-LABEL: func.func @alibi
// W8-NOT: attn_tile.
func.func @alibi(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) score_mods([#attn.alibi])
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @biased
// CHECK:       attn_tile.modify {{.*}} bias
func.func @biased(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>, %bias: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v bias(%bias : tensor<?x?x?x?xf32>)
       score_mods([#attn.softcap<30.0>])
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// A score_mod region on lanes: ops on the score or the key index become
// vector ops (index lanes for j), ops on uniform values (the key length,
// its division) stay scalar, built once per vector.
// CHECK-LABEL: func.func @region_lanes
// CHECK-NOT:   attn_tile.modify
// CHECK:       arith.divui %{{.*}} : index
// CHECK:       arith.cmpi eq, %{{.*}} : vector<16xindex>
// CHECK:       arith.select %{{.*}} : vector<16xi1>, vector<16xf32>
// W8-LABEL: func.func @region_lanes
// W8-NOT: attn_tile.
func.func @region_lanes(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %nk = attn.key_length : index
         %c2 = arith.constant 2 : index
         %mid = arith.divui %nk, %c2 : index
         %at = arith.cmpi eq, %j, %mid : index
         %ninf = arith.constant 0xFF800000 : f32
         %r = arith.select %at, %ninf, %s : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// A capture read at the key index (a gather) keeps the portable `modify`;
// a division of a lane value runs on lanes with its divisor guarded per
// lane (1 where it is 0, as the scalar form; canonicalization folds the
// guard of a constant divisor).
// CHECK-LABEL: func.func @region_gather
// CHECK:       attn_tile.modify
// CHECK-LABEL: func.func @region_division
// CHECK-NOT:   attn_tile.modify
// CHECK:       arith.remui %{{.*}} : vector<16xindex>
// W8-LABEL: func.func @region_division
// W8:          %[[SAFE:.*]] = arith.select %{{.*}} : vector<8xi1>, vector<8xindex>
// W8:          arith.remui %{{.*}}, %[[SAFE]] : vector<8xindex>
func.func @region_gather(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>, %w: tensor<?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%w : tensor<?xf32>) score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %cw: tensor<?xf32>):
         %x = tensor.extract %cw[%j] : tensor<?xf32>
         %r = arith.addf %s, %x : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @region_division(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                           %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %c3 = arith.constant 3 : index
         %r3 = arith.remui %j, %c3 : index
         %c0 = arith.constant 0 : index
         %at = arith.cmpi eq, %r3, %c0 : index
         %ninf = arith.constant 0xFF800000 : f32
         %r = arith.select %at, %ninf, %s : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
