// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 split-kv=2' -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-to-tile='linear-chunk=5' -split-input-file | FileCheck %s --check-prefix=CHUNK

// Affine normalizations (subtractive, mala) and row epilogues in the tile
// program. The quadratic form threads the kept-key count and value sum
// through the key loop (attn_tile.kept_sums on the mask's output) and
// corrects the accumulator before the finalization; it does not split the
// keys (the merge does not carry those sums). The chunked causal form reads
// and folds them as the state of the constant feature 1 (ones queries and
// keys, no decay). The epilogue and the element-wise gate are the
// finalization's, in both forms.

// CHECK-LABEL: func.func @subtractive
// CHECK-NOT: attn_tile.merge
// CHECK: %[[Q:.*]] = attn_tile.feature_map
// CHECK: %[[LOOP:.*]]:5 = attn_tile.for_key_tiles {{.*}} iter_args({{.*}} : tensor<16xf32>, tensor<16xf32>, tensor<16x8xf32>, tensor<16xf32>, tensor<16x8xf32>)
// CHECK: ^bb0(%[[K0:.*]]: index, %{{.*}}: i1, %{{.*}}: tensor<16xf32>, %{{.*}}: tensor<16xf32>, %{{.*}}: tensor<16x8xf32>, %[[N:.*]]: tensor<16xf32>, %[[VS:.*]]: tensor<16x8xf32>):
// CHECK:   %[[M:.*]] = attn_tile.mask
// CHECK:   attn_tile.online_update %[[M]], {{.*}} normalization(<identity, subtractive>)
// CHECK:   attn_tile.accumulate
// CHECK:   %[[V:.*]] = attn_tile.load %arg2[{{.*}}, %[[K0]]]
// CHECK:   %[[NN:.*]], %[[NVS:.*]] = attn_tile.kept_sums %[[M]], %[[V]] into %[[N]], %[[VS]] : tensor<16x8xf32>, tensor<8x8xf32> -> tensor<16xf32>, tensor<16x8xf32>
// CHECK:   attn_tile.yield %{{.*}}, %{{.*}}, %{{.*}}, %[[NN]], %[[NVS]]
// CHECK: %[[A:.*]] = attn_tile.affine_normalize %[[LOOP]]#2, %[[LOOP]]#1, %[[LOOP]]#3, %[[LOOP]]#4 normalization(<identity, subtractive>)
// CHECK: attn_tile.finalize %[[A]], %[[LOOP]]#0, %[[LOOP]]#1 :
// CHECK-NOT: divide
func.func @subtractive(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                       %v: tensor<1x2x20x8xf32>) -> tensor<1x2x20x8xf32> {
  %o = attn.attention %q, %k, %v feature_map(#attn.feature_map<relu>)
       normalization(#attn.normalize<identity, subtractive>)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x8xf32> -> tensor<1x2x20x8xf32>
  return %o : tensor<1x2x20x8xf32>
}

// -----

// The causal form is chunked: per chunk the carried value sum [1, Dv] and
// count [1] are read with a ones query, the chunk's kept keys added by
// kept_sums, the accumulator corrected, then the finalization applies the
// norm and the element-wise gate; the carry is folded with ones keys.
// CHUNK-LABEL: func.func @subtractive_chunked
// CHUNK: %[[VS0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x?xf32>) -> tensor<1x?xf32>
// CHUNK: %[[N0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1xf32>) -> tensor<1xf32>
// CHUNK: scf.for %[[C0:.*]] = %{{.*}} to %{{.*}} step %c5 iter_args(%[[S:.*]] = %{{.*}}, %[[Z:.*]] = %{{.*}}, %{{.*}} = %{{.*}}, %[[VS:.*]] = %[[VS0]], %[[N:.*]] = %[[N0]])
// CHUNK:   %[[V:.*]] = attn_tile.load %arg2
// CHUNK:   %[[M:.*]] = attn_tile.mask {{.*}} mask(#attn.causal) : tensor<5x5xf32>
// CHUNK:   %{{.*}}, %[[SUM:.*]] = attn_tile.read_state
// CHUNK:   %{{[a-z_0-9]+}}, %{{[a-z_0-9]+}}, %[[W:[a-z_0-9]+]], %{{[a-z_0-9]+}} = attn_tile.online_update %[[M]], %{{.*}}, %[[SUM]] normalization(<identity, subtractive>)
// CHUNK:   %[[ACC:.*]] = attn_tile.accumulate
// CHUNK:   %[[ONES:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<5x1xf32>) -> tensor<5x1xf32>
// CHUNK:   %[[CVS:.*]], %[[CN:.*]] = attn_tile.read_state %[[ONES]], %[[VS]], %[[N]] scale %{{.*}} at %[[C0]] length %{{.*}} : tensor<5x1xf32>, tensor<1x?xf32>, tensor<1xf32> -> tensor<5x8xf32>, tensor<5xf32>
// CHUNK:   %[[KN:.*]], %[[KVS:.*]] = attn_tile.kept_sums %[[M]], %[[V]] into %[[CN]], %[[CVS]]
// CHUNK:   %[[NVS:.*]], %[[NN:.*]] = attn_tile.update_state %[[VS]], %[[N]], %[[ONES]], %[[V]] at %[[C0]] length %{{.*}} : tensor<1x?xf32>, tensor<1xf32>, tensor<5x1xf32>, tensor<5x8xf32>
// CHUNK:   %[[A:.*]] = attn_tile.affine_normalize %[[ACC]], %[[W]], %[[KN]], %[[KVS]] normalization(<identity, subtractive>)
// CHUNK:   attn_tile.finalize %[[A]], {{.*}} gate(%arg3 : tensor<1x2x20x8xf32> at {{.*}}) {epilogue = #attn.epilogue<rms_norm, eps = 1.0e-06>}
// CHUNK:   attn_tile.update_state %[[S]], %[[Z]]
// CHUNK:   scf.yield %{{.*}}, %{{.*}}, %{{.*}}, %[[NVS]], %[[NN]]
func.func @subtractive_chunked(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                               %v: tensor<1x2x20x8xf32>, %g: tensor<1x2x20x8xf32>)
    -> tensor<1x2x20x8xf32> {
  %o = attn.attention %q, %k, %v output_gate(%g : tensor<1x2x20x8xf32>)
       feature_map(#attn.feature_map<relu>) mask(#attn.causal)
       normalization(#attn.normalize<identity, subtractive>)
       epilogue(#attn.epilogue<rms_norm>)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x8xf32> -> tensor<1x2x20x8xf32>
  return %o : tensor<1x2x20x8xf32>
}

// -----

// TNL (L01): the chunked form with a decay; the gate and the norm go to
// each chunk's finalization (no division).
// CHUNK-LABEL: func.func @tnl
// CHUNK: attn_tile.decay_prefix
// CHUNK: scf.for
// CHUNK-NOT: attn_tile.kept_sums
// CHUNK:   attn_tile.finalize %{{.*}}, %{{.*}}, %{{.*}} gate(%arg4 : tensor<?x?x?x?xf32> at %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {epilogue = #attn.epilogue<rms_norm, eps = 1.0e-06>} : tensor<5x?xf32>, tensor<5xf32> -> tensor<5x?xf32>
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

// -----

// Softmax with the epilogue: split-KV merges the partial results, then the
// finalization divides and normalizes the row.
// CHECK-LABEL: func.func @softmax_rms
// CHECK: attn_tile.merge
// CHECK: attn_tile.finalize {{.*}} gate(%arg1 : tensor<1x2x20x1xf32> at {{.*}}) {divide, epilogue = #attn.epilogue<rms_norm, eps = 1.0e-03>}
func.func @softmax_rms(%q: tensor<1x2x20x16xf32>, %g: tensor<1x2x20x1xf32>) -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x20x1xf32>)
       mask(#attn.causal) epilogue(#attn.epilogue<rms_norm, eps = 1.0e-3>)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32> -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}
