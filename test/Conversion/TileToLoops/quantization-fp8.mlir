// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' -convert-attn-tile-to-loops | FileCheck %s

// The portable lowering of FP8 Q K^T: an FP8 operand is decoded from its
// bits with integer operations (LLVM has no FP8 type): the sign to bit 31,
// the exponent field rebiased (e4m3: + 127 - 7 = 120; e5m2: + 112) into
// f32's exponent, the mantissa shifted to the top of f32's (e4m3: << 20;
// e5m2: << 21); subnormals as m * 2^(1 - bias - mbits) (2^-9, 2^-16) with
// the sign; e4m3fn's S.1111.111 is NaN, e5m2's exponent 31 infinity or
// NaN; then times the scale. The compiler's FP8 rounds x / s at the
// binade's step (roundeven), saturates to F (minimumf), keeps the sign.

// CHECK-LABEL: func.func @decode_e4m3
// CHECK: tensor.extract %{{.*}} : tensor<?x?x?x?xf8E4M3FN>
// CHECK-NEXT: %[[BYTE:.*]] = arith.bitcast %{{.*}} : f8E4M3FN to i8
// CHECK-NEXT: %[[U:.*]] = arith.extui %[[BYTE]] : i8 to i32
// CHECK: arith.constant 120 : i32
// CHECK: arith.constant 20 : i32
// CHECK: %[[NORMAL:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: arith.uitofp %{{.*}} : i32 to f32
// CHECK: arith.constant 0.001953125 : f32
// CHECK: math.copysign %{{.*}}, %[[NORMAL]] : f32
// CHECK: arith.constant 127 : i32
// CHECK: arith.constant 0x7FC00000 : f32
// CHECK: arith.mulf
// CHECK-NOT: attn_tile.
// CHECK: return
func.func @decode_e4m3(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf8E4M3FN>, %v: tensor<?x?x?x?xf32>,
                       %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<?x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, keys_only = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @decode_e5m2
// CHECK: arith.bitcast %{{.*}} : f8E5M2 to i8
// CHECK: arith.constant 112 : i32
// CHECK: arith.constant 21 : i32
// CHECK: arith.constant 2139095040 : i32
// CHECK: arith.select
// CHECK: arith.constant 1.52587891E-5 : f32
// CHECK-NOT: 0x7FC00000
// CHECK: arith.mulf
func.func @decode_e5m2(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf8E5M2>, %v: tensor<?x?x?x?xf32>,
                       %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<?x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = fp8_e5m2, keys_only = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf8E5M2>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// The compiler's FP8: per block, absmax / 448, then fp8(x / s) * s.
// CHECK-LABEL: func.func @quantize_e4m3
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: arith.constant 4.480000e+02 : f32
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xf32>)
// CHECK: arith.divf
// CHECK: arith.cmpf uno
// CHECK: math.roundeven
// CHECK: arith.minimumf
// CHECK: math.copysign
// CHECK: arith.select
// CHECK: arith.mulf
// CHECK-NOT: attn_tile.quantize_fp8
// CHECK: return
func.func @quantize_e4m3(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 4, k_block = 8>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
