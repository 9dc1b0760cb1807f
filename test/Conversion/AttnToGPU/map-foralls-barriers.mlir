// attn-gpu-map-foralls places the barriers between sibling stages itself:
// one where a stage touches a block-shared buffer that a stage since the
// last barrier wrote (or writes one such a stage read), at the end of every
// loop body holding stages, before such a loop or branch where its contents
// conflict with what is not yet published, at the end of a branch where
// what follows it conflicts with what it leaves, none after the last stage
// of the kernel. Thread- and warp-private buffers (one owner per
// element) never need one.
// RUN: attn-opt %s --attn-gpu-map-foralls | FileCheck %s

// CHECK-LABEL: func.func @stages
// CHECK:         gpu.launch
// A writes %s.
// CHECK:           %[[A:.*]] = memref.load %{{.*}} : memref<64xf32>
// CHECK-NEXT:      memref.store %[[A]], %[[S:.*]][%{{.*}}] : memref<64xf32, #gpu.address_space<workgroup>>
// B reads another thread's element of %s: a barrier first.
// CHECK-NEXT:      gpu.barrier
// CHECK:           arith.xori
// CHECK-NEXT:      memref.load %[[S]]
// C only reads %s too and writes a private buffer: no barrier.
// CHECK-NOT:       gpu.barrier
// CHECK:           arith.mulf
// D writes %s, which B and C read: a barrier.
// CHECK-NEXT:      memref.store
// CHECK-NEXT:      gpu.barrier
// CHECK-NOT:       gpu.barrier
// CHECK:           memref.store %{{.*}}, %[[S]]
// The loop holding a stage: a barrier before it and at the end of its body.
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:      scf.for
// CHECK-NOT:         gpu.barrier
// CHECK:             arith.subf
// CHECK-NEXT:        memref.store
// CHECK-NEXT:        gpu.barrier
// CHECK-NEXT:      }
// E writes the output; nothing follows it.
// CHECK-NOT:       gpu.barrier
// CHECK:           memref.store %{{.*}}, %{{.*}} : memref<2x64xf32>
// CHECK-NEXT:      gpu.terminator
func.func @stages(%in: memref<64xf32>, %out: memref<2x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.forall (%b) in (2) {
    %s = memref.alloc() : memref<64xf32, #gpu.address_space<workgroup>>
    %p = memref.alloc() {attn.gpu.thread_private} : memref<64x1xf32>
    scf.forall (%t) in (64) {
      %a = memref.load %in[%t] : memref<64xf32>
      memref.store %a, %s[%t] : memref<64xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<x>]}
    scf.forall (%t) in (64) {
      %t1 = arith.xori %t, %c1 : index
      %a = memref.load %s[%t1] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %a, %p[%t, %c0] : memref<64x1xf32>
    } {mapping = [#gpu.thread<x>]}
    scf.forall (%t) in (64) {
      %a = memref.load %s[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      %x = memref.load %p[%t, %c0] : memref<64x1xf32>
      %y = arith.mulf %a, %x : f32
      memref.store %y, %p[%t, %c0] : memref<64x1xf32>
    } {mapping = [#gpu.thread<x>]}
    scf.forall (%t) in (64) {
      %x = memref.load %p[%t, %c0] : memref<64x1xf32>
      memref.store %x, %s[%t] : memref<64xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<x>]}
    scf.for %i = %c0 to %c4 step %c1 {
      scf.forall (%t) in (64) {
        %a = memref.load %s[%t] : memref<64xf32, #gpu.address_space<workgroup>>
        %x = memref.load %p[%t, %c0] : memref<64x1xf32>
        %y = arith.subf %x, %a : f32
        memref.store %y, %p[%t, %c0] : memref<64x1xf32>
      } {mapping = [#gpu.thread<x>]}
    }
    scf.forall (%t) in (64) {
      %x = memref.load %p[%t, %c0] : memref<64x1xf32>
      memref.store %x, %out[%b, %t] : memref<2x64xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// Uniform branches holding stages (a partial key tile's value probe): a
// barrier before a branch only where its contents conflict with what is not
// yet published, and at its end only where what follows it in the block
// conflicts with what it leaves unpublished, so that a rarely taken branch
// costs the common path nothing.
// CHECK-LABEL: func.func @branches
// CHECK:         gpu.launch
// A writes %s.
// CHECK:           memref.store %{{.*}}, %[[S:.*]][%{{.*}}] : memref<64xf32, #gpu.address_space<workgroup>>
// The first branch touches %r only: no barrier before it; inside, B2 reads
// what B1 wrote: a barrier; at its end none (what follows reads %s, writes
// and reads %q).
// CHECK-NEXT:      scf.if
// CHECK:             memref.store %{{.*}}, %[[R:.*]][%{{.*}}] : memref<64xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT:        gpu.barrier
// CHECK:             memref.load %[[R]]
// CHECK-NOT:         gpu.barrier
// CHECK:           }
// C reads A's %s (unpublished when the branch is not taken): a barrier.
// CHECK-NEXT:      gpu.barrier
// CHECK:           memref.load %[[S]]
// The second branch writes %q, which E reads: no barrier before it, one at
// its end.
// CHECK-NOT:       gpu.barrier
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}, %[[Q:.*]][%{{.*}}] : memref<64xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT:        gpu.barrier
// CHECK-NEXT:      }
// E: no barrier.
// CHECK-NOT:       gpu.barrier
// CHECK:           memref.load %[[Q]]
// CHECK-NOT:       gpu.barrier
// CHECK:           gpu.terminator
func.func @branches(%in: memref<64xf32>, %out: memref<64xf32>, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.forall (%b) in (1) {
    %s = memref.alloc() : memref<64xf32, #gpu.address_space<workgroup>>
    %r = memref.alloc() : memref<64xf32, #gpu.address_space<workgroup>>
    %q = memref.alloc() : memref<64xf32, #gpu.address_space<workgroup>>
    %p = memref.alloc() {attn.gpu.thread_private} : memref<64x1xf32>
    scf.forall (%t) in (64) {
      %a = memref.load %in[%t] : memref<64xf32>
      memref.store %a, %s[%t] : memref<64xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<x>]}
    scf.if %c {
      scf.forall (%t) in (64) {
        %a = memref.load %in[%t] : memref<64xf32>
        memref.store %a, %r[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<x>]}
      scf.forall (%t) in (64) {
        %t1 = arith.xori %t, %c1 : index
        %a = memref.load %r[%t1] : memref<64xf32, #gpu.address_space<workgroup>>
        memref.store %a, %p[%t, %c0] : memref<64x1xf32>
      } {mapping = [#gpu.thread<x>]}
    }
    scf.forall (%t) in (64) {
      %t1 = arith.xori %t, %c1 : index
      %a = memref.load %s[%t1] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %a, %p[%t, %c0] : memref<64x1xf32>
    } {mapping = [#gpu.thread<x>]}
    scf.if %c {
      scf.forall (%t) in (64) {
        %x = memref.load %p[%t, %c0] : memref<64x1xf32>
        memref.store %x, %q[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<x>]}
    }
    scf.forall (%t) in (64) {
      %t1 = arith.xori %t, %c1 : index
      %a = memref.load %q[%t1] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %a, %out[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}
