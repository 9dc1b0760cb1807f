// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' -convert-attn-tile-to-loops | FileCheck %s

// The portable lowering of the quantization ops:
// - quantize: the token mean (with `center`) as an f64 sum in token order
//   rounded to f32; the block scales absmax / 127 (maximumf propagates a
//   NaN); the values clamp(roundeven(x / scale), -127, 127), 0 for a NaN
//   quotient. Each is a linalg.generic over an empty tensor, computed once
//   per call (a tensor.generate would be folded into every read of it);
// - load_quantized: i8 rows with -128 read as -127, row scales by token
//   block (1 without a scale tensor, 0 past the sequence);
// - quantized_scores: an i32 contraction of sign-extended i8 products,
//   then f32(dot) * sq * sk * scale.

// CHECK-LABEL: func.func @sage
// Query block scales (no centering) and values.
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?xf32>)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xi8>)
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.cmpf uno
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// Key smoothing: the mean in f64, then centered block scales and values.
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?xf32>)
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.addf %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?xf32>)
// CHECK: arith.subf
// CHECK: math.absf
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xi8>)
// CHECK: arith.subf
// CHECK: math.roundeven
// The work items: query rows once, key rows per tile, the i32 contraction.
// CHECK: scf.forall
// CHECK: tensor.generate
// CHECK: arith.maxsi %{{.*}}, %c-127_i8 : i8
// CHECK: tensor.generate
// CHECK: arith.divui
// CHECK: scf.for
// CHECK: arith.maxsi %{{.*}}, %c-127_i8 : i8
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}}ins(%{{.*}}, %{{.*}} : tensor<16x?xi8>, tensor<8x?xi8>) outs(%{{.*}} : tensor<16x8xi32>)
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli %{{.*}} : i32
// CHECK: arith.addi %{{.*}} : i32
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<16x8xi32>, tensor<16xf32>, tensor<8xf32>)
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK-NOT: attn_tile.
func.func @sage(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 16, k_block = 8, smooth_k = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Signs: x < 0 ? -1 : +1, computed once per tensor.
// CHECK-LABEL: func.func @signs
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xi8>)
// CHECK: arith.cmpf olt
// CHECK: arith.select %{{.*}}, %c-1_i8, %c1_i8 : i8
func.func @signs(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// pv = int8: quantize_channels as per-channel absmax / 127 over all tokens
// and the same element rule; quantized_accumulate as the weight bytes
// (roundeven(255 w) clamped by maxnumf/minnumf: NaN gives 0), an i32
// contraction with the sign-extended values, then
// acc * alpha + f32(dot) * (scale * f32(1/255)).
// CHECK-LABEL: func.func @int8_pv
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xi8>)
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: scf.forall
// CHECK: linalg.generic {{.*}}ins(%{{.*}} : tensor<16x8xf32>) outs(%{{.*}} : tensor<16x8xi32>)
// CHECK: arith.mulf
// CHECK: math.roundeven
// CHECK: arith.maxnumf
// CHECK: arith.minnumf
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}} : tensor<16x8xi32>, tensor<8x?xi8>) outs(%{{.*}} : tensor<16x?xi32>)
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: attn_tile.quantized_accumulate
func.func @int8_pv(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, pv = int8>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Q smoothing: attn_tile.center as block means (an f64 sum per block of
// tokens, rounded to f32), then the residual and the means per token; the
// quantized scores plus the float correction tile.
// CHECK-LABEL: func.func @smooth_q
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f64)
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.subf
// CHECK-NOT: attn_tile.
// CHECK: return
func.func @smooth_q(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = int4, q_block = 16, smooth_q = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// FP8 rounding emulated in f32 arithmetic: the exponent field of |x|
// (shrui 23, minus 127, at least emin), the step 2^(e - mantissa bits) as
// bits, roundeven of the exact quotient, saturation, the sign back.
// CHECK-LABEL: func.func @fp8_pv
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui
// CHECK: arith.maxsi
// CHECK: arith.shli
// CHECK: math.roundeven
// CHECK: arith.minimumf
// CHECK: math.copysign
// CHECK-NOT: attn_tile.
// CHECK: return
func.func @fp8_pv(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = int8, pv = fp8_e4m3>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// keys_only: the key dequantized once per call, f32(max(kq, -127)) * its
// token block's scale, then float scores; mixed precision: each key
// block's range (127 where its flag is nonzero, else 7) divides its absmax
// and clamps its values.
// CHECK-LABEL: func.func @keys_only_salient
// CHECK: arith.cmpi ne
// CHECK: arith.select %{{.*}}, %cst{{.*}}, %cst{{.*}} : f32
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xi8>)
// CHECK: math.roundeven
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xf32>)
// CHECK: arith.maxsi %{{.*}}, %c-127_i8 : i8
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.mulf
// CHECK-NOT: attn_tile.
func.func @keys_only_salient(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                             %m: tensor<?x?x?xi8>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_salient(%m : tensor<?x?x?xi8>)
       quantization(#attn.quantized_qk<scheme = int4, k_block = 8, keys_only = true, salient_bits = 8>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A value cache per channel: V dequantized once per call, the scale read
// at the element's channel (the innermost index), not its token block.
// CHECK-LABEL: func.func @value_cache_channels
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<?x?x?x?xf32>)
// CHECK: ^bb0
// CHECK: %[[C:.*]] = linalg.index 3 : index
// CHECK: arith.maxsi %{{.*}}, %c-127_i8 : i8
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: %[[CI:.*]] = arith.select %{{.*}}, %{{.*}}, %[[C]] : index
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %[[CI]]] : tensor<1x?x?xf32>
// CHECK: arith.mulf
func.func @value_cache_channels(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xi8>,
                                %sv: tensor<1x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<1x?x?xf32>)
       value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xi8> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
