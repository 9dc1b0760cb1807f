// RUN: attn-opt %s -convert-attn-tile-to-loops | FileCheck %s

// The portable lowering of the affine normalizations' tile ops and of the
// finalization's epilogue and element-wise gate.

// kept_sums: a row reduction counting the entries whose masked score is
// not -inf, and a reduction over the keys adding the kept value rows (the
// select keeps the sum for an excluded pair whatever its value holds).
// CHECK-LABEL: func.func @kept_sums
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<4x8xf32>) outs(%arg2 : tensor<4xf32>)
// CHECK:   %[[K:.*]] = arith.cmpf one, %{{.*}}, %cst
// CHECK:   %[[ADD:.*]] = arith.addf %{{.*}}, %cst_0
// CHECK:   arith.select %[[K]], %[[ADD]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x?xf32>) outs(%arg3 : tensor<4x?xf32>)
// CHECK: ^bb0(%[[M:.*]]: f32, %[[V:.*]]: f32, %[[S:.*]]: f32):
// CHECK:   %[[SUM:.*]] = arith.addf %[[S]], %[[V]]
// CHECK:   %[[KEPT:.*]] = arith.cmpf one, %[[M]]
// CHECK:   arith.select %[[KEPT]], %[[SUM]], %[[S]]
// CHECK-NOT: attn_tile
func.func @kept_sums(%m: tensor<4x8xf32>, %v: tensor<8x?xf32>, %n: tensor<4xf32>,
                     %s: tensor<4x?xf32>) -> (tensor<4xf32>, tensor<4x?xf32>) {
  %n1, %s1 = attn_tile.kept_sums %m, %v into %n, %s
      : tensor<4x8xf32>, tensor<8x?xf32> -> tensor<4xf32>, tensor<4x?xf32>
  return %n1, %s1 : tensor<4xf32>, tensor<4x?xf32>
}

// subtractive: per row 1 and (1 - S) / N (0 for N = 0), then
// acc * a + vsum * c.
// CHECK-LABEL: func.func @subtractive
// CHECK: ^bb0(%[[S:.*]]: f32, %[[N:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:   %[[NZ:.*]] = arith.cmpf ogt, %[[N]], %cst
// CHECK:   %[[D:.*]] = arith.subf %cst_2, %[[S]]
// CHECK:   %[[C:.*]] = arith.divf %[[D]], %[[N]]
// CHECK:   %[[A:.*]] = arith.select %[[NZ]], %cst_2, %cst
// CHECK:   %[[CS:.*]] = arith.select %[[NZ]], %[[C]], %cst
// CHECK:   linalg.yield %[[A]], %[[CS]]
// CHECK: ^bb0(%[[ACC:.*]]: f32, %[[VS:.*]]: f32, %[[FA:.*]]: f32, %[[FC:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[X:.*]] = arith.mulf %[[ACC]], %[[FA]]
// CHECK:   math.fma %[[FC]], %[[VS]], %[[X]]
func.func @subtractive(%a: tensor<4x16xf32>, %s: tensor<4xf32>, %n: tensor<4xf32>,
                       %vs: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %o = attn_tile.affine_normalize %a, %s, %n, %vs
      normalization(#attn.normalize<identity, subtractive>) : tensor<4x16xf32>, tensor<4xf32>
  return %o : tensor<4x16xf32>
}

// mala: 1 / N + 1 / S and -S / N^2, 0 unless N > 0 and S != 0.
// CHECK-LABEL: func.func @mala
// CHECK:   arith.cmpf ogt
// CHECK:   arith.cmpf une
// CHECK:   %[[OK:.*]] = arith.andi
// CHECK:   arith.divf
// CHECK:   arith.divf
// CHECK:   arith.addf
// CHECK:   arith.divf
// CHECK:   arith.divf
// CHECK:   arith.negf
// CHECK:   arith.select %[[OK]]
// CHECK:   arith.select %[[OK]]
func.func @mala(%a: tensor<4x16xf32>, %s: tensor<4xf32>, %n: tensor<4xf32>,
                %vs: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %o = attn_tile.affine_normalize %a, %s, %n, %vs
      normalization(#attn.normalize<identity, mala>) : tensor<4x16xf32>, tensor<4xf32>
  return %o : tensor<4x16xf32>
}

// finalize with rms_norm and an element-wise bf16 gate: the scaled rows
// (1 / sum) in f32, the sum of their squares, the row factor
// rsqrt(squares / columns + eps), then row * factor * gate[b', h', q', c]
// with extents of 1 broadcast and the row clamped into [0, Nq).
// CHECK-LABEL: func.func @finalize_rms_gate
// CHECK: %[[SCALED:.*]] = linalg.generic
// CHECK:   arith.divf %cst{{.*}}, %{{.*}}
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[SCALED]] : tensor<4x16xf32>)
// CHECK:   math.fma %[[X:.*]], %[[X]], %{{.*}} : f32
// CHECK: %[[COLS:.*]] = arith.uitofp
// CHECK: %[[F:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<4xf32>)
// CHECK:   %[[MEAN:.*]] = arith.divf %{{.*}}, %[[COLS]]
// CHECK:   %[[E:.*]] = arith.addf %[[MEAN]], %cst
// CHECK:   math.rsqrt %[[E]]
// CHECK: linalg.generic {{.*}} ins(%[[SCALED]], %[[F]] : tensor<4x16xf32>, tensor<4xf32>) outs(%{{.*}} : tensor<4x16xbf16>)
// CHECK:   %[[O:.*]] = arith.mulf
// CHECK:   arith.minsi
// CHECK:   arith.maxsi
// CHECK:   %[[G:.*]] = tensor.extract %arg2[%c0{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : tensor<1x?x?x16xbf16>
// CHECK:   %[[GF:.*]] = arith.extf %[[G]] : bf16 to f32
// CHECK:   %[[OG:.*]] = arith.mulf %[[O]], %[[GF]]
// CHECK:   arith.truncf %[[OG]] : f32 to bf16
func.func @finalize_rms_gate(%a: tensor<4x16xf32>, %m: tensor<4xf32>,
                             %g: tensor<1x?x?x16xbf16>, %b: index, %h: index,
                             %q: index, %nq: index) -> tensor<4x16xbf16> {
  %o = attn_tile.finalize %a, %m, %m gate(%g : tensor<1x?x?x16xbf16> at %b, %h, %q, %nq)
      {divide, epilogue = #attn.epilogue<rms_norm, eps = 1.0e-03>}
      : tensor<4x16xf32>, tensor<4xf32> -> tensor<4x16xbf16>
  return %o : tensor<4x16xbf16>
}
