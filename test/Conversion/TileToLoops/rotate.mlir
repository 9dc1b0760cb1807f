// RUN: attn-opt %s -convert-attn-tile-to-loops | FileCheck %s

// attn_tile.rotate, once per call as a linalg.generic over an empty tensor:
// each element is an f64 sum in channel order of exact f64 products of the
// f32 row and the f32 matrix entry of its head (h / (H / Hr), 0 for one
// shared matrix), rounded once to f32.

// CHECK-LABEL: func.func @rotate
// CHECK: arith.cmpi eq
// CHECK: linalg.generic
// CHECK: arith.select
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: tensor.extract %{{.*}} : tensor<?x?x?x?xbf16>
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: tensor.extract %{{.*}} : tensor<?x?x?xf32>
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.mulf %{{.*}} : f64
// CHECK: arith.addf %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @rotate(%x: tensor<?x?x?x?xbf16>, %r: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %v = attn_tile.rotate %x, %r : tensor<?x?x?x?xbf16>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %v : tensor<?x?x?x?xf32>
}
