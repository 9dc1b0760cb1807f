// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=8 linear-chunk=0' -convert-attn-tile-to-vector='vector-width=8' | FileCheck %s
// RUN: attn-opt %s -split-input-file -attn-to-tile='linear-chunk=5' -convert-attn-tile-to-vector='vector-width=16' | FileCheck %s --check-prefix=CHUNK

// attn_tile.expand_features as vector code, row by row (the vector pass
// takes every one with static rows, which attn-to-tile always builds; any
// other stays for the portable lowering). taylor2: the linear part and each
// product segment x_a * x / sqrt(2) written as masked vectors along the head
// dimension into the [rows, 1 + D + D^2] result. hedgehog: the projection
// W[h'] . x as dot products along the head dimension (the head's weight
// rows read as vectors, h' = 0 for a shared map), then exp(u) and exp(-u)
// as vectors along the features.

// CHECK-LABEL: func.func @taylor2
// CHECK-NOT: attn_tile.expand_features
// CHECK: vector.create_mask
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : vector<8xf32>, tensor<16x73xf32>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : vector<8xf32>, tensor<16x73xf32>
// CHECK-NOT: attn_tile.expand_features
func.func @taylor2(%q: tensor<2x4x40x8xf32>) -> tensor<2x4x40x8xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<taylor2>)
       normalization(#attn.normalize<identity, l1>)
       : tensor<2x4x40x8xf32>, tensor<2x4x40x8xf32>, tensor<2x4x40x8xf32> -> tensor<2x4x40x8xf32>
  return %o : tensor<2x4x40x8xf32>
}

// -----

// CHUNK-LABEL: func.func @hedgehog
// CHUNK-NOT: attn_tile.expand_features
// CHUNK: vector.transfer_read %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}], %{{.*}}, %{{.*}} {in_bounds = [true]} : tensor<?x?x?xbf16>, vector<16xbf16>
// CHUNK: math.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHUNK: math.exp %{{.*}} : vector<16xf32>
// CHUNK-NOT: attn_tile.expand_features
func.func @hedgehog(%q: tensor<?x?x?x?xf32>, %w: tensor<?x?x?xbf16>, %b: tensor<?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q
       feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<?x?x?xbf16>, tensor<?x?xf32>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
