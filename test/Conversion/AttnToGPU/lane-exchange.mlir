// attn-gpu-lane-exchange: a quad exchange through a shared buffer (one
// stage writes row t, the next reads rows of the same warp) becomes one
// stage with warp shuffles; anything it cannot prove is left alone, with a
// remark saying why.
// RUN: attn-opt %s --split-input-file --attn-gpu-lane-exchange --verify-diagnostics | FileCheck %s

// The reader takes its own row (the stored value itself), row t xor 1 (a
// butterfly shuffle) and row 4 (t / 4) + 2 (an indexed shuffle of lane
// (4 (t / 4) + 2) mod 32). The two stages become one; the buffer is gone.
// CHECK-LABEL: func.func @quad
// CHECK-NOT:     attn.gpu.lane_exchange
// CHECK:         scf.forall (%[[T:.*]]) in (64) {
// CHECK:           %[[V:.*]] = arith.addf
// CHECK-NOT:       memref.store %[[V]]
// CHECK:           %[[X:.*]], %{{.*}} = gpu.shuffle  xor %[[V]], %c1_i32, %c32_i32 : f32
// CHECK:           %[[SRC:.*]] = arith.addi
// CHECK:           %[[LANE:.*]] = arith.remui %[[SRC]], %c32
// CHECK:           %[[LANE32:.*]] = arith.index_cast %[[LANE]] : index to i32
// CHECK:           %[[I:.*]], %{{.*}} = gpu.shuffle  idx %[[V]], %[[LANE32]], %c32_i32{{.*}} : f32
// CHECK:           %[[S1:.*]] = arith.addf %[[V]], %[[X]]
// CHECK:           %[[S2:.*]] = arith.addf %[[S1]], %[[I]]
// CHECK:           memref.store %[[S2]], %{{.*}}[%[[T]]]
// CHECK:         } {mapping = [#gpu.thread<x>]}
// CHECK-NOT:     scf.forall (%{{.*}}) in (64)
// CHECK:         return
func.func @quad(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c0 = arith.constant 0 : index
  %x = memref.alloc() {attn.gpu.lane_exchange} : memref<64x1xf32, #gpu.address_space<workgroup>>
  scf.forall (%t) in (64) {
    %a = memref.load %in[%t] : memref<64xf32>
    %v = arith.addf %a, %a : f32
    memref.store %v, %x[%t, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
  } {mapping = [#gpu.thread<x>]}
  scf.forall (%t) in (64) {
    %own = memref.load %x[%t, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
    %t1 = arith.xori %t, %c1 : index
    %n1 = memref.load %x[%t1, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
    %q = arith.divui %t, %c4 : index
    %q4 = arith.muli %q, %c4 : index
    %t2 = arith.addi %q4, %c2 : index
    %n2 = memref.load %x[%t2, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
    %s1 = arith.addf %own, %n1 : f32
    %s2 = arith.addf %s1, %n2 : f32
    memref.store %s2, %out[%t] : memref<64xf32>
  } {mapping = [#gpu.thread<x>]}
  memref.dealloc %x : memref<64x1xf32, #gpu.address_space<workgroup>>
  return
}

// -----

// Row t xor 32 belongs to the other warp: no shuffle reaches it.
// CHECK-LABEL: func.func @other_warp
// CHECK:         memref.alloc() {attn.gpu.lane_exchange}
// CHECK-NOT:     gpu.shuffle
// CHECK-COUNT-2: scf.forall
func.func @other_warp(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  // expected-remark @below {{the exchange stays in shared memory: thread 0 loads a row that is not a thread of its warp}}
  %x = memref.alloc() {attn.gpu.lane_exchange} : memref<64x1xf32, #gpu.address_space<workgroup>>
  scf.forall (%t) in (64) {
    %a = memref.load %in[%t] : memref<64xf32>
    memref.store %a, %x[%t, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
  } {mapping = [#gpu.thread<x>]}
  scf.forall (%t) in (64) {
    %t1 = arith.xori %t, %c32 : index
    %n = memref.load %x[%t1, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
    memref.store %n, %out[%t] : memref<64xf32>
  } {mapping = [#gpu.thread<x>]}
  return
}

// -----

// Merging would drop the barrier between the writer's read of %shared and
// the reader's write of it.
// CHECK-LABEL: func.func @shared_conflict
// CHECK:         memref.alloc() {attn.gpu.lane_exchange}
// CHECK-NOT:     gpu.shuffle
// CHECK-COUNT-2: scf.forall
func.func @shared_conflict(%in: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-remark @below {{one stage writes shared memory the other touches}}
  %x = memref.alloc() {attn.gpu.lane_exchange} : memref<64x1xf32, #gpu.address_space<workgroup>>
  %shared = memref.alloc() : memref<64xf32, #gpu.address_space<workgroup>>
  scf.forall (%t) in (64) {
    %t1 = arith.xori %t, %c1 : index
    %a = memref.load %shared[%t1] : memref<64xf32, #gpu.address_space<workgroup>>
    memref.store %a, %x[%t, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
  } {mapping = [#gpu.thread<x>]}
  scf.forall (%t) in (64) {
    %t1 = arith.xori %t, %c1 : index
    %n = memref.load %x[%t1, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
    memref.store %n, %shared[%t] : memref<64xf32, #gpu.address_space<workgroup>>
  } {mapping = [#gpu.thread<x>]}
  return
}

// -----

// A store under a condition: not every thread's value is known at the end
// of the writer.
// CHECK-LABEL: func.func @conditional_store
// CHECK:         memref.alloc() {attn.gpu.lane_exchange}
// CHECK-NOT:     gpu.shuffle
func.func @conditional_store(%in: memref<64xf32>, %out: memref<64xf32>, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-remark @below {{an access not at the top level of a thread stage}}
  %x = memref.alloc() {attn.gpu.lane_exchange} : memref<64x1xf32, #gpu.address_space<workgroup>>
  scf.forall (%t) in (64) {
    scf.if %c {
      %a = memref.load %in[%t] : memref<64xf32>
      memref.store %a, %x[%t, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
    }
  } {mapping = [#gpu.thread<x>]}
  scf.forall (%t) in (64) {
    %t1 = arith.xori %t, %c1 : index
    %n = memref.load %x[%t1, %c0] : memref<64x1xf32, #gpu.address_space<workgroup>>
    memref.store %n, %out[%t] : memref<64xf32>
  } {mapping = [#gpu.thread<x>]}
  return
}
