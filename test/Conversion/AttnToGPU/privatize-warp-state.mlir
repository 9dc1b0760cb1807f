// attn-gpu-privatize-warp-state: a warp-private buffer of mma accumulator
// tiles whose accesses, evaluated per thread, partition it in one layout
// becomes a per-thread array indexed by constants.
// RUN: attn-opt %s --split-input-file --attn-gpu-privatize-warp-state --verify-diagnostics | FileCheck %s

// Two warps, two 16x8 tiles each, written in the m16n8 accumulator layout
// by a loop (unrolled), read back by a vector load of two floats: thread
// 32 w + lane holds rows lane / 4 (+ 8), columns 2 (lane % 4) (+ 1) of its
// warp's tiles, 8 floats, numbered in (tile, row, column) order.
// CHECK-LABEL: func.func @accumulator_layout
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[A:.*]] = memref.alloca() : memref<8xf32>
// CHECK-NOT:       memref.alloc(
// CHECK-NOT:       scf.for
// CHECK-COUNT-8:   memref.store %{{.*}}, %[[A]][%c{{[0-7]}}{{(_[0-9]+)?}}] : memref<8xf32>
// CHECK:           vector.load %[[A]][%c6{{.*}}] : memref<8xf32>, vector<2xf32>
// CHECK:           gpu.terminator
func.func @accumulator_layout(%out: memref<64x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %buf = memref.alloc() {attn.gpu.warp_private} : memref<2x2x16x8xf32>
    %tid = gpu.thread_id x
    %w = arith.divui %tid, %c32 : index
    %lane = arith.remui %tid, %c32 : index
    %r = arith.divui %lane, %c4 : index
    %q = arith.remui %lane, %c4 : index
    %c = arith.muli %q, %c2 : index
    %r8 = arith.addi %r, %c8 : index
    %cc = arith.addi %c, %c1 : index
    scf.for %n = %c0 to %c2 step %c1 {
      memref.store %f, %buf[%w, %n, %r, %c] : memref<2x2x16x8xf32>
      memref.store %f, %buf[%w, %n, %r, %cc] : memref<2x2x16x8xf32>
      memref.store %f, %buf[%w, %n, %r8, %c] : memref<2x2x16x8xf32>
      memref.store %f, %buf[%w, %n, %r8, %cc] : memref<2x2x16x8xf32>
    }
    %v = vector.load %buf[%w, %c1, %r8, %c] : memref<2x2x16x8xf32>, vector<2xf32>
    vector.store %v, %out[%tid, %c0] : memref<64x2xf32>, vector<2xf32>
    gpu.terminator
  }
  return
}

// -----

// The register softmax's P: one warp, a 16 x 16 block of f16 written in the
// accumulator layout of two 16x8 tiles (columns c, c + 1 and c + 8, c + 9)
// and read as the m16n8k16 A fragment (four 2-element loads): 8 halves a
// lane, in (row, column) order.
// CHECK-LABEL: func.func @a_fragment_f16
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[A:.*]] = memref.alloca() : memref<8xf16>
// CHECK-NOT:       memref.alloc(
// CHECK-COUNT-4:   memref.store %{{.*}}, %[[A]][%c{{[0-7]}}{{(_[0-9]+)?}}] : memref<8xf16>
// CHECK:           vector.load %[[A]][%c0{{.*}}] : memref<8xf16>, vector<2xf16>
// CHECK:           vector.load %[[A]][%c2{{.*}}] : memref<8xf16>, vector<2xf16>
// CHECK:           vector.load %[[A]][%c4{{.*}}] : memref<8xf16>, vector<2xf16>
// CHECK:           vector.load %[[A]][%c6{{.*}}] : memref<8xf16>, vector<2xf16>
func.func @a_fragment_f16(%out: memref<32x8xf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %h = arith.constant 1.0 : f16
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %buf = memref.alloc() {attn.gpu.warp_private} : memref<1x1x16x16xf16>
    %tid = gpu.thread_id x
    %w = arith.divui %tid, %c32 : index
    %lane = arith.remui %tid, %c32 : index
    %r = arith.divui %lane, %c4 : index
    %q = arith.remui %lane, %c4 : index
    %c = arith.muli %q, %c2 : index
    %r8 = arith.addi %r, %c8 : index
    scf.for %k = %c0 to %c2 step %c1 {
      %k8 = arith.muli %k, %c8 : index
      %col = arith.addi %c, %k8 : index
      %col1 = arith.addi %col, %c1 : index
      memref.store %h, %buf[%w, %c0, %r, %col] : memref<1x1x16x16xf16>
      memref.store %h, %buf[%w, %c0, %r, %col1] : memref<1x1x16x16xf16>
      memref.store %h, %buf[%w, %c0, %r8, %col] : memref<1x1x16x16xf16>
      memref.store %h, %buf[%w, %c0, %r8, %col1] : memref<1x1x16x16xf16>
    }
    %c8c = arith.addi %c, %c8 : index
    %a0 = vector.load %buf[%w, %c0, %r, %c] : memref<1x1x16x16xf16>, vector<2xf16>
    %a1 = vector.load %buf[%w, %c0, %r, %c8c] : memref<1x1x16x16xf16>, vector<2xf16>
    %a2 = vector.load %buf[%w, %c0, %r8, %c] : memref<1x1x16x16xf16>, vector<2xf16>
    %a3 = vector.load %buf[%w, %c0, %r8, %c8c] : memref<1x1x16x16xf16>, vector<2xf16>
    %s0 = arith.addf %a0, %a1 : vector<2xf16>
    %s1 = arith.addf %a2, %a3 : vector<2xf16>
    %s = arith.addf %s0, %s1 : vector<2xf16>
    vector.store %s, %out[%tid, %c0] : memref<32x8xf16>, vector<2xf16>
    gpu.terminator
  }
  return
}

// -----

// Every thread of a warp writes the same element: not a partition.
func.func @shared_element() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @below {{thread 0 touches 1 elements, not 4: the accesses are not in one per-thread layout}}
    %buf = memref.alloc() {attn.gpu.warp_private} : memref<2x1x16x8xf32>
    %tid = gpu.thread_id x
    %w = arith.divui %tid, %c32 : index
    memref.store %f, %buf[%w, %c0, %c0, %c0] : memref<2x1x16x8xf32>
    gpu.terminator
  }
  return
}

// -----

// A thread touching another warp's tiles.
func.func @other_warp() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %buf = memref.alloc() {attn.gpu.warp_private} : memref<2x1x16x8xf32>
    // expected-error @below {{thread 32 touches tiles of warp 0}}
    memref.store %f, %buf[%c0, %c0, %c0, %c0] : memref<2x1x16x8xf32>
    gpu.terminator
  }
  return
}

// -----

// An index that is not a function of the thread id.
func.func @unknown_index(%i: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %buf = memref.alloc() {attn.gpu.warp_private} : memref<2x1x16x8xf32>
    %tid = gpu.thread_id x
    %w = arith.divui %tid, %c32 : index
    // expected-error @below {{the indices of a warp-private access are not functions of the thread id}}
    memref.store %f, %buf[%w, %c0, %i, %c0] : memref<2x1x16x8xf32>
    gpu.terminator
  }
  return
}

// -----

// A loop indexing the buffer without constant bounds cannot be unrolled.
func.func @dynamic_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %buf = memref.alloc() {attn.gpu.warp_private} : memref<2x1x16x8xf32>
    %tid = gpu.thread_id x
    %w = arith.divui %tid, %c32 : index
    // expected-error @below {{a loop indexing a warp-private buffer needs constant bounds}}
    scf.for %j = %c0 to %n step %c1 {
      memref.store %f, %buf[%w, %c0, %j, %c0] : memref<2x1x16x8xf32>
    }
    gpu.terminator
  }
  return
}
