// RUN: attn-opt %s --attn-hoist-loop-buffers --split-input-file | FileCheck %s

// A tile used within one iteration moves before the loop; the loop's
// carried buffer and the one allocated per iteration for it stay.
// CHECK-LABEL: func.func @key_loop
// CHECK:         %[[TILE:.*]] = memref.alloc() {{.*}} : memref<64x64xf32>
// CHECK-NEXT:    scf.for
// CHECK-NOT:       memref.alloc() {{.*}} : memref<64x64xf32>
// CHECK:           memref.store %{{.*}}, %[[TILE]]
// CHECK:           %[[NEXT:.*]] = memref.alloc() {{.*}} : memref<64xf32>
// CHECK:           scf.yield %[[NEXT]]
func.func @key_loop(%n: index, %init: memref<64xf32>, %x: f32) -> memref<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%carried = %init) -> (memref<64xf32>) {
    %tile = memref.alloc() {alignment = 64 : i64} : memref<64x64xf32>
    memref.store %x, %tile[%c0, %c0] : memref<64x64xf32>
    %y = memref.load %tile[%c0, %c0] : memref<64x64xf32>
    %next = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    memref.store %y, %next[%c0] : memref<64xf32>
    scf.yield %next : memref<64xf32>
  }
  return %r : memref<64xf32>
}

// -----

// Out of the key loop and the scf.if inside it, not out of the work items:
// each thread needs its own buffer.
// CHECK-LABEL: func.func @work_items
// CHECK:         scf.forall
// CHECK-NEXT:      %[[TILE:.*]] = memref.alloc() : memref<16xf32>
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        scf.if
// CHECK-NEXT:          memref.store %{{.*}}, %[[TILE]]
func.func @work_items(%n: index, %c: i1, %x: f32, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.forall (%w) in (%n) {
    scf.for %i = %c0 to %n step %c1 {
      scf.if %c {
        %tile = memref.alloc() : memref<16xf32>
        memref.store %x, %tile[%c0] : memref<16xf32>
        %y = memref.load %tile[%c0] : memref<16xf32>
        memref.store %y, %out[%w] : memref<?xf32>
      }
    }
  }
  return
}

// -----

// A buffer that flows into the loop's iteration arguments through an inner
// loop's result stays; so does one sized by the induction variable.
// CHECK-LABEL: func.func @carried_through_inner_loop
// CHECK:         scf.for %[[I:[a-z0-9_]+]] =
// CHECK-NEXT:      memref.alloc() : memref<8xf32>
// CHECK-NEXT:      scf.for
// CHECK:           memref.alloc(%[[I]]) : memref<?xf32>
func.func @carried_through_inner_loop(%n: index, %init: memref<8xf32>, %x: f32) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%carried = %init) -> (memref<8xf32>) {
    %fresh = memref.alloc() : memref<8xf32>
    %inner = scf.for %j = %c0 to %n step %c1 iter_args(%a = %fresh) -> (memref<8xf32>) {
      memref.store %x, %a[%c0] : memref<8xf32>
      scf.yield %a : memref<8xf32>
    }
    %sized = memref.alloc(%i) : memref<?xf32>
    memref.store %x, %sized[%c0] : memref<?xf32>
    scf.yield %inner : memref<8xf32>
  }
  return %r : memref<8xf32>
}
