// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-gpu-privatize-thread-state --canonicalize | FileCheck %s

// A 64 x 3 thread-private buffer read and written at row thread_id x in
// loops over its 3 columns: each thread gets a 3-element array, the loops
// are unrolled (constant indices once canonicalized) and the dealloc goes.
// CHECK-LABEL: func.func @accumulate
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[ROW:.*]] = memref.alloca() : memref<3xf32>
// CHECK-NOT:       memref.alloc()
// CHECK-NOT:       scf.for
// CHECK-DAG:       memref.store %{{.*}}, %[[ROW]][%c0{{.*}}] : memref<3xf32>
// CHECK-DAG:       memref.store %{{.*}}, %[[ROW]][%c1{{.*}}] : memref<3xf32>
// CHECK-DAG:       memref.store %{{.*}}, %[[ROW]][%c2{{.*}}] : memref<3xf32>
// CHECK:           gpu.barrier
// CHECK:           memref.load %[[ROW]][%c0{{.*}}]
// CHECK:           memref.load %[[ROW]][%c1{{.*}}]
// CHECK:           memref.load %[[ROW]][%c2{{.*}}]
// CHECK-NOT:       memref.dealloc
// CHECK:           gpu.terminator
func.func @accumulate(%out: memref<64x3xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %one = arith.constant 1.0 : f32
    %regs = memref.alloc() {attn.gpu.thread_private} : memref<64x3xf32>
    %t = gpu.thread_id x
    scf.for %k = %c0 to %c3 step %c1 {
      memref.store %one, %regs[%t, %k] : memref<64x3xf32>
    }
    gpu.barrier
    %t2 = gpu.thread_id x
    scf.for %k = %c0 to %c3 step %c1 {
      %v = memref.load %regs[%t2, %k] : memref<64x3xf32>
      memref.store %v, %out[%t2, %k] : memref<64x3xf32>
    }
    memref.dealloc %regs : memref<64x3xf32>
    gpu.terminator
  }
  return
}

// -----

// Outside a gpu.launch (the CPU form) the buffer stays.
// CHECK-LABEL: func.func @not_launched
// CHECK:         memref.alloc() {attn.gpu.thread_private} : memref<4x2xf32>
func.func @not_launched() -> memref<4x2xf32> {
  %regs = memref.alloc() {attn.gpu.thread_private} : memref<4x2xf32>
  return %regs : memref<4x2xf32>
}

// -----

func.func @other_row(%i: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %regs = memref.alloc() {attn.gpu.thread_private} : memref<64x3xf32>
    // expected-error @below {{a thread-private buffer must be read and written at row gpu.thread_id x only}}
    %v = memref.load %regs[%i, %c0] : memref<64x3xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @dynamic_loop(%n: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %zero = arith.constant 0.0 : f32
    %regs = memref.alloc() {attn.gpu.thread_private} : memref<64x3xf32>
    %t = gpu.thread_id x
    // expected-error @below {{a loop indexing a thread-private buffer needs constant bounds}}
    scf.for %k = %c0 to %n step %c1 {
      memref.store %zero, %regs[%t, %k] : memref<64x3xf32>
    }
    gpu.terminator
  }
  return
}
