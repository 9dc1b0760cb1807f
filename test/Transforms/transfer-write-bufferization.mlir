// RUN: attn-opt %s -split-input-file --one-shot-bufferize='bufferize-function-boundaries' | FileCheck %s

// attn's bufferization model of vector.transfer_write
// (lib/Transforms/TransferWriteBufferization.cpp): an out-of-place write
// that does not cover the whole tensor copies the tensor first. MLIR 22's
// own model compared the shapes by position (1 against 8 here) and dropped
// the copy, so the read of columns 8-15 saw an uninitialized buffer (the
// vector kernels' one-row score tiles, static shapes with one query).

// CHECK-LABEL: func.func @one_row
// CHECK: %[[BUF:.*]] = memref.alloc() {{.*}} : memref<1x64xf32>
// CHECK-NEXT: memref.copy %{{.*}}, %[[BUF]]
// CHECK-NEXT: vector.transfer_write %{{.*}}, %[[BUF]][%{{.*}}, %{{.*}}]
// CHECK-NEXT: vector.transfer_read %[[BUF]]
func.func @one_row(%t: tensor<1x64xf32>, %v: vector<8xf32>) -> (vector<8xf32>, tensor<1x64xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %pad = arith.constant 0.0 : f32
  %w = vector.transfer_write %v, %t[%c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<1x64xf32>
  %r = vector.transfer_read %w[%c0, %c8], %pad {in_bounds = [true]} : tensor<1x64xf32>, vector<8xf32>
  return %r, %t : vector<8xf32>, tensor<1x64xf32>
}

// -----

// Two rows: the same (2 < 8 passed the positional comparison too).
// CHECK-LABEL: func.func @two_rows
// CHECK: %[[BUF:.*]] = memref.alloc() {{.*}} : memref<2x64xf32>
// CHECK-NEXT: memref.copy %{{.*}}, %[[BUF]]
func.func @two_rows(%t: tensor<2x64xf32>, %v: vector<8xf32>) -> (vector<8xf32>, tensor<2x64xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %pad = arith.constant 0.0 : f32
  %w = vector.transfer_write %v, %t[%c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x64xf32>
  %r = vector.transfer_read %w[%c8, %c8], %pad : tensor<2x64xf32>, vector<8xf32>
  return %r, %t : vector<8xf32>, tensor<2x64xf32>
}

// -----

// A write that covers every element (a 64-lane row into one row of 64;
// the leading dimension, which the map does not reach, has extent 1) needs
// no copy.
// CHECK-LABEL: func.func @whole_row
// CHECK: %[[BUF:.*]] = memref.alloc() {{.*}} : memref<1x64xf32>
// CHECK-NOT: memref.copy
// CHECK: vector.transfer_write %{{.*}}, %[[BUF]]
func.func @whole_row(%t: tensor<1x64xf32>, %v: vector<64xf32>) -> (vector<8xf32>, tensor<1x64xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %pad = arith.constant 0.0 : f32
  %w = vector.transfer_write %v, %t[%c0, %c0] {in_bounds = [true]} : vector<64xf32>, tensor<1x64xf32>
  %r = vector.transfer_read %w[%c0, %c8], %pad {in_bounds = [true]} : tensor<1x64xf32>, vector<8xf32>
  return %r, %t : vector<8xf32>, tensor<1x64xf32>
}

// -----

// A transposed 2-D write covering the tensor: no copy either.
// CHECK-LABEL: func.func @whole_transposed
// CHECK-NOT: memref.copy
// CHECK: return
func.func @whole_transposed(%t: tensor<4x8xf32>, %v: vector<8x4xf32>) -> (vector<8xf32>, tensor<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %w = vector.transfer_write %v, %t[%c0, %c0] {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d1, d0)>} : vector<8x4xf32>, tensor<4x8xf32>
  %r = vector.transfer_read %w[%c0, %c0], %pad {in_bounds = [true]} : tensor<4x8xf32>, vector<8xf32>
  return %r, %t : vector<8xf32>, tensor<4x8xf32>
}
