// RUN: attn-opt %s -convert-attn-tile-to-vector=vector-width=8 | FileCheck %s

// The vector kernels of the row epilogue and of the affine normalizations.

// finalize with rms_norm: per row a first pass sums the squares of the
// scaled row by vectors (whole vectors, then the masked rest), the factor
// 1 / sum times rsqrt(mean + eps) is one scalar, and the second pass writes
// row * factor * gate lanes. A dynamic gate channel extent of 1 broadcasts
// the row's first gate (a select; the masked read stays in bounds).
// CHECK-LABEL: func.func @finalize_rms_gate
// CHECK: scf.for %[[I:[a-z0-9_]+]] = {{.*}} -> (tensor<4x20xf32>)
// CHECK:   %[[R:.*]] = arith.select {{.*}} : f32
// CHECK:   %[[RV:.*]] = vector.broadcast %[[R]] : f32 to vector<8xf32>
// CHECK:   scf.for {{.*}} -> (vector<8xf32>)
// CHECK:     %[[X:.*]] = vector.transfer_read %arg0[%[[I]], %{{.*}}], %{{.*}} {in_bounds = [true]}
// CHECK:     %[[O:.*]] = arith.mulf %[[X]], %[[RV]] : vector<8xf32>
// CHECK:     math.fma %[[O]], %[[O]], %{{.*}} : vector<8xf32>
// CHECK:   %[[SQ:.*]] = scf.for {{.*}} -> (vector<8xf32>)
// CHECK:     vector.transfer_read %arg0[%[[I]], %{{.*}}], %{{.*}} : tensor<4x20xf32>, vector<8xf32>
// CHECK:   vector.extract_strided_slice %[[SQ]]
// CHECK:   %[[MEAN:.*]] = arith.divf
// CHECK:   %[[E:.*]] = arith.addf %[[MEAN]], %{{.*}} : f32
// CHECK:   %[[N:.*]] = math.rsqrt %[[E]] : f32
// CHECK:   %[[F:.*]] = arith.mulf %[[R]], %[[N]] : f32
// CHECK:   %[[FV:.*]] = vector.broadcast %[[F]] : f32 to vector<8xf32>
// CHECK:   arith.maxsi
// CHECK:   scf.for
// CHECK:     %[[Y:.*]] = arith.mulf %{{.*}}, %[[FV]] : vector<8xf32>
// CHECK:     %[[ONE:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : index
// CHECK:     %[[G0:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK:     %[[GV:.*]] = vector.transfer_read %arg2[{{.*}}], %{{.*}} : tensor<1x?x?x?xf32>, vector<8xf32>
// CHECK:     %[[G:.*]] = arith.select %[[ONE]], %[[G0]], %[[GV]] : vector<8xf32>
// CHECK:     arith.mulf %[[Y]], %[[G]] : vector<8xf32>
// CHECK-NOT: attn_tile.finalize
func.func @finalize_rms_gate(%a: tensor<4x20xf32>, %m: tensor<4xf32>,
                             %g: tensor<1x?x?x?xf32>, %b: index, %h: index,
                             %q: index, %nq: index) -> tensor<4x20xf32> {
  %o = attn_tile.finalize %a, %m, %m gate(%g : tensor<1x?x?x?xf32> at %b, %h, %q, %nq)
      {divide, epilogue = #attn.epilogue<rms_norm, eps = 1.0e-03>}
      : tensor<4x20xf32>, tensor<4xf32> -> tensor<4x20xf32>
  return %o : tensor<4x20xf32>
}

// kept_sums: the count by scalars over the keys; per vector of channels
// the kept value rows summed in a register.
// CHECK-LABEL: func.func @kept_sums
// CHECK: scf.for %[[I:[a-z0-9_]+]] = {{.*}} iter_args(%{{.*}} = %arg2, %{{.*}} = %arg3)
// CHECK:   scf.for {{.*}} -> (f32)
// CHECK:     arith.cmpf one
// CHECK:   scf.for %[[C:[a-z0-9_]+]] = {{.*}} -> (tensor<4x?xf32>)
// CHECK:     %[[ACC:.*]] = vector.transfer_read %{{.*}}[%[[I]], %[[C]]]
// CHECK:     scf.for %[[J:[a-z0-9_]+]] = {{.*}} iter_args(%[[R:[a-z0-9_]+]] = %[[ACC]]) -> (vector<8xf32>)
// CHECK:       %[[V:.*]] = vector.transfer_read %arg1[%[[J]], %[[C]]]
// CHECK:       %[[ADD:.*]] = arith.addf %[[R]], %[[V]] : vector<8xf32>
// CHECK:       %[[K:.*]] = arith.cmpf one
// CHECK:       arith.select %[[K]], %[[ADD]], %[[R]] : vector<8xf32>
// CHECK-NOT: attn_tile.kept_sums
func.func @kept_sums(%m: tensor<4x8xf32>, %v: tensor<8x?xf32>, %n: tensor<4xf32>,
                     %s: tensor<4x?xf32>) -> (tensor<4xf32>, tensor<4x?xf32>) {
  %n1, %s1 = attn_tile.kept_sums %m, %v into %n, %s
      : tensor<4x8xf32>, tensor<8x?xf32> -> tensor<4xf32>, tensor<4x?xf32>
  return %n1, %s1 : tensor<4xf32>, tensor<4x?xf32>
}

// affine_normalize: the two row factors as scalars, then a fused
// acc * a + vsum * c by vectors.
// CHECK-LABEL: func.func @mala
// CHECK: scf.for
// CHECK:   arith.negf {{.*}} : f32
// CHECK:   %[[A:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK:   %[[C:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK:   scf.for
// CHECK:     %[[X:.*]] = arith.mulf %{{.*}}, %[[A]] : vector<8xf32>
// CHECK:     math.fma %{{.*}}, %[[C]], %[[X]] : vector<8xf32>
// CHECK-NOT: attn_tile.affine_normalize
func.func @mala(%a: tensor<4x16xf32>, %s: tensor<4xf32>, %n: tensor<4xf32>,
                %vs: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %o = attn_tile.affine_normalize %a, %s, %n, %vs
      normalization(#attn.normalize<identity, mala>) : tensor<4x16xf32>, tensor<4xf32>
  return %o : tensor<4x16xf32>
}
