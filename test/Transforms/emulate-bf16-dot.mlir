// RUN: attn-opt %s --attn-emulate-bf16-dot | FileCheck %s

// vdpbf16ps as portable vector code: both operands widened to f32, split
// into even and odd elements, odd pair accumulated first (the order of the
// instruction's pseudo-code); the products are exact in f32.
// CHECK-LABEL: func.func @dot
// CHECK-SAME:    (%[[SRC:.*]]: vector<8xf32>, %[[A:.*]]: vector<16xbf16>, %[[B:.*]]: vector<16xbf16>)
// CHECK-NOT:     x86vector
// CHECK:         %[[AW:.*]] = arith.extf %[[A]] : vector<16xbf16> to vector<16xf32>
// CHECK:         %[[AE:.*]], %[[AO:.*]] = vector.deinterleave %[[AW]] : vector<16xf32> -> vector<8xf32>
// CHECK:         %[[BW:.*]] = arith.extf %[[B]] : vector<16xbf16> to vector<16xf32>
// CHECK:         %[[BE:.*]], %[[BO:.*]] = vector.deinterleave %[[BW]] : vector<16xf32> -> vector<8xf32>
// CHECK:         %[[ODD:.*]] = math.fma %[[AO]], %[[BO]], %[[SRC]] : vector<8xf32>
// CHECK:         %[[ALL:.*]] = math.fma %[[AE]], %[[BE]], %[[ODD]] : vector<8xf32>
// CHECK:         return %[[ALL]]
func.func @dot(%src: vector<8xf32>, %a: vector<16xbf16>, %b: vector<16xbf16>) -> vector<8xf32> {
  %0 = x86vector.avx512.dot %src, %a, %b : vector<16xbf16> -> vector<8xf32>
  return %0 : vector<8xf32>
}

// The 512-bit form.
// CHECK-LABEL: func.func @dot512
// CHECK:         vector.deinterleave %{{.*}} : vector<32xf32> -> vector<16xf32>
// CHECK:         math.fma %{{.*}} : vector<16xf32>
// CHECK:         math.fma %{{.*}} : vector<16xf32>
func.func @dot512(%src: vector<16xf32>, %a: vector<32xbf16>, %b: vector<32xbf16>) -> vector<16xf32> {
  %0 = x86vector.avx512.dot %src, %a, %b : vector<32xbf16> -> vector<16xf32>
  return %0 : vector<16xf32>
}

// vcvtneps2bf16 is a round-to-nearest-even truncation.
// CHECK-LABEL: func.func @cvt
// CHECK:         %[[T:.*]] = arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK:         return %[[T]]
func.func @cvt(%a: vector<16xf32>) -> vector<16xbf16> {
  %0 = x86vector.avx512.cvt.packed.f32_to_bf16 %a : vector<16xf32> -> vector<16xbf16>
  return %0 : vector<16xbf16>
}
