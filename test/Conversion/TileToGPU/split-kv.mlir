// Split-KV: attn-to-tile's split form (key ranges, then attn_tile.merge) as
// two kernels: S blocks per work item each running one part of the item's
// key-tile list into partial buffers, then one block per query tile
// merging the parts by their logsumexp before the sink fold, the lse and
// the gated, normalized output.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0 split-kv=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=32 threads=64 split-kv=0 async-copies=false}))' | FileCheck %s --check-prefixes=CHECK,AUTO
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0 split-kv=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=32 threads=64 split-kv=3 async-copies=false}))' | FileCheck %s --check-prefixes=CHECK,THREE
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0 split-kv=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=32 threads=64 split-kv=1 async-copies=false}))' | FileCheck %s --check-prefix=ONE

// A decode step: 4 heads x 1 query tile = 4 work items, 1000 keys = 32 key
// tiles. Automatic: min(ceil(264 / 4), 32 / 4) = 8 splits, 32 blocks.
// CHECK-LABEL: func.func @decode
// CHECK-SAME:    %[[SINKS:[^:]*]]: tensor<4xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x4x1x64xf32>
// CHECK:         %[[LSE:.*]] = memref.alloc() : memref<1x4x1xf32>
// AUTO:          %[[PO:.*]] = memref.alloc() : memref<8x1x4x1x64xf32>
// AUTO:          %[[PM:.*]] = memref.alloc() : memref<8x1x4x1xf32>
// AUTO:          %[[PL:.*]] = memref.alloc() : memref<8x1x4x1xf32>
// THREE:         %[[PO:.*]] = memref.alloc() : memref<3x1x4x1x64xf32>
// THREE:         %[[PM:.*]] = memref.alloc() : memref<3x1x4x1xf32>
// THREE:         %[[PL:.*]] = memref.alloc() : memref<3x1x4x1xf32>
// AUTO:          scf.forall (%[[W:.*]]) in (32) {
// THREE:         scf.forall (%[[W:.*]]) in (12) {
// Block w runs split w mod S of work item w / S: entries
// [b + n s / S, b + n (s + 1) / S) of the item's list [b, b + n).
// CHECK:           %[[SPLIT:.*]] = arith.remui %[[W]]
// CHECK:           %[[ITEM:.*]] = arith.divui %[[W]]
// CHECK:           %[[N:.*]] = arith.subi %[[END:.*]], %[[BEGIN:.*]] : index
// CHECK:           %[[NS:.*]] = arith.muli %[[N]], %[[SPLIT]] : index
// CHECK:           %[[FIRST:.*]] = arith.addi %[[BEGIN]], %{{.*}} : index
// CHECK:           %[[NEXT:.*]] = arith.addi %[[SPLIT]], %{{.*}} : index
// CHECK:           %[[LAST:.*]] = arith.addi %[[BEGIN]], %{{.*}} : index
// CHECK:           scf.for %{{.*}} = %[[FIRST]] to %[[LAST]] step
// No sink, lse or division in the split's block: its rows' max, sum and
// unnormalized O go to the partial buffers.
// CHECK-NOT:       tensor.extract %[[SINKS]]
// CHECK-NOT:       math.log
// CHECK:           memref.store %{{.*}}, %[[PM]][%[[SPLIT]],
// CHECK:           memref.store %{{.*}}, %[[PL]][%[[SPLIT]],
// CHECK:           memref.store %{{.*}}, %[[PO]][%[[SPLIT]],
// CHECK:         } {{.*}}mapping = [#gpu.block<x>]}
// The merge kernel: one block per (batch, head, query tile).
// CHECK:         scf.forall (%{{.*}}) in (4) {
// Per row: M = max_s m_s, l = sum_s l_s e^(m_s - M).
// CHECK:           scf.forall
// CHECK:             scf.for
// CHECK:               memref.load %[[PM]]
// CHECK:               arith.maximumf
// CHECK:             scf.for
// CHECK:               memref.load %[[PL]]
// CHECK:               memref.load %[[PM]]
// CHECK:               math.exp2
// CHECK:               math.fma
// Then the rows end as in the one-kernel form: the sink, the lse.
// CHECK:           scf.forall
// CHECK:             tensor.extract %[[SINKS]]
// CHECK:             math.log
// CHECK:             memref.store %{{.*}}, %[[LSE]]
// The output: sum_s O_s e^(m_s - M), times 1 / l and the gate.
// CHECK:           scf.forall
// CHECK:             scf.for
// CHECK:               memref.load %[[PO]]
// CHECK:               math.fma
// CHECK:             arith.mulf
// CHECK:             arith.mulf
// CHECK:             memref.store %{{.*}}, %[[OUT]]
// CHECK:         } {{.*}}mapping = [#gpu.block<x>]}
// One split: the one-kernel form, no partial buffers.
// ONE-LABEL:     func.func @decode
// ONE-NOT:       memref.alloc() : memref<{{[0-9]+}}x1x4x1x64xf32>
// ONE:           scf.forall (%{{.*}}) in (4) {
// ONE-NOT:       scf.forall (%{{.*}}) in (4) {
// ONE:           return
func.func @decode(%q: tensor<1x4x1x64xf32>, %k: tensor<1x2x1000x64xf32>,
                  %v: tensor<1x2x1000x64xf32>, %s: tensor<4xf32>,
                  %g: tensor<1x4x1xf32>)
    -> (tensor<1x4x1x64xf32>, tensor<1x4x1xf32>) {
  %o, %l = attn.attention %q, %k, %v sink_logits(%s : tensor<4xf32>)
       output_gate(%g : tensor<1x4x1xf32>) mask(#attn.causal)
       : tensor<1x4x1x64xf32>, tensor<1x2x1000x64xf32>, tensor<1x2x1000x64xf32>
         -> tensor<1x4x1x64xf32>, tensor<1x4x1xf32>
  return %o, %l : tensor<1x4x1x64xf32>, tensor<1x4x1xf32>
}

// -----

// Long query sequences fill the GPU: 8 heads x 40 query tiles = 320 work
// items >= 264, so the automatic choice keeps one kernel; 3 splits are
// still 3 when asked for.
// CHECK-LABEL: func.func @prefill
// AUTO-NOT:      memref.alloc() : memref<{{[0-9]+}}x1x8x640x32xf32>
// AUTO:          scf.forall (%{{.*}}) in (320) {
// THREE:         memref.alloc() : memref<3x1x8x640x32xf32>
// THREE:         scf.forall (%{{.*}}) in (960) {
// ONE-LABEL:   func.func @prefill
// ONE:           scf.forall (%{{.*}}) in (320) {
func.func @prefill(%q: tensor<1x8x640x32xf32>, %k: tensor<1x8x640x32xf32>,
                   %v: tensor<1x8x640x32xf32>) -> tensor<1x8x640x32xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<1x8x640x32xf32>, tensor<1x8x640x32xf32>, tensor<1x8x640x32xf32>
         -> tensor<1x8x640x32xf32>
  return %o : tensor<1x8x640x32xf32>
}

// -----

// Two passes (a weight_mod under softmax) have no split form: one kernel
// whatever split-kv asks.
// CHECK-LABEL: func.func @two_passes
// CHECK-NOT:     memref.alloc() : memref<{{[0-9]+}}x1x2x1x16xf32>
// CHECK:         scf.forall (%{{.*}}) in (2) {
// CHECK-NOT:     scf.forall (%{{.*}}) in (2) {
// CHECK:         return
func.func @two_passes(%q: tensor<1x2x1x16xf32>, %k: tensor<1x2x900x16xf32>,
                      %v: tensor<1x2x900x16xf32>) -> tensor<1x2x1x16xf32> {
  %o = attn.attention %q, %k, %v weight_mod {
  ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
    %one = arith.constant 1.0 : f32
    %x = math.fma %w, %r, %one : f32
    attn.yield %x : f32
  } : tensor<1x2x1x16xf32>, tensor<1x2x900x16xf32>, tensor<1x2x900x16xf32>
      -> tensor<1x2x1x16xf32>
  return %o : tensor<1x2x1x16xf32>
}
