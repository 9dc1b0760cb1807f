// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-gpu-serialize-async-copies | FileCheck %s

// A 4-element copy with a source count: element i is read only when
// i < count, else it is zero. The group and the wait go away.
// CHECK-LABEL: func.func @counted
// CHECK-SAME:    (%[[SRC:.*]]: memref<4x8xf32>, %[[DST:.*]]: memref<2x8xf32, 3>, %[[I:.*]]: index, %[[J:.*]]: index, %[[N:.*]]: index)
// CHECK-NOT:     nvgpu.
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[S0:.*]] = arith.addi %[[J]], %[[C0]]
// CHECK:         %[[D0:.*]] = arith.addi %[[J]], %[[C0]]
// CHECK:         %[[IN0:.*]] = arith.cmpi ult, %[[C0]], %[[N]]
// CHECK:         %[[V0:.*]] = scf.if %[[IN0]] -> (f32) {
// CHECK:           %[[L0:.*]] = memref.load %[[SRC]][%[[I]], %[[S0]]]
// CHECK:           scf.yield %[[L0]]
// CHECK:         } else {
// CHECK:           scf.yield %[[ZERO]]
// CHECK:         memref.store %[[V0]], %[[DST]][%[[I]], %[[D0]]]
// CHECK:         %[[C3:.*]] = arith.constant 3 : index
// CHECK:         %[[S3:.*]] = arith.addi %[[J]], %[[C3]]
// CHECK:         arith.cmpi ult, %[[C3]], %[[N]]
// CHECK:         memref.load %[[SRC]][%[[I]], %[[S3]]]
// CHECK:         memref.store
// CHECK-NOT:     memref.store
// CHECK-NOT:     nvgpu.
// CHECK:         return
func.func @counted(%src: memref<4x8xf32>, %dst: memref<2x8xf32, 3>,
                   %i: index, %j: index, %n: index) {
  %t = nvgpu.device_async_copy %src[%i, %j], %dst[%i, %j], 4, %n
       : memref<4x8xf32> to memref<2x8xf32, 3>
  %g = nvgpu.device_async_create_group %t
  nvgpu.device_async_wait %g {numGroups = 1 : i32}
  return
}

// -----

// Without a count every element is copied.
// CHECK-LABEL: func.func @whole
// CHECK-NOT:     scf.if
// CHECK-COUNT-2: memref.load
// CHECK-NOT:     nvgpu.
func.func @whole(%src: memref<8xf16>, %dst: memref<8xf16, 3>, %i: index) {
  %t = nvgpu.device_async_copy %src[%i], %dst[%i], 2
       : memref<8xf16> to memref<8xf16, 3>
  return
}

// -----

func.func @token_escapes(%src: memref<8xf32>, %dst: memref<8xf32, 3>,
                         %i: index) -> !nvgpu.device.async.token {
  // expected-error @below {{a copy token used by something else than a group}}
  %t = nvgpu.device_async_copy %src[%i], %dst[%i], 1
       : memref<8xf32> to memref<8xf32, 3>
  return %t : !nvgpu.device.async.token
}
