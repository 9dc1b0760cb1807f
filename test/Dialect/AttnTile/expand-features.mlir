// RUN: attn-opt %s | FileCheck %s
// RUN: attn-opt %s | attn-opt | FileCheck %s

// attn_tile.expand_features round-trips (hedgehog with its weights and
// head, a head-shared weight in bf16, taylor2 with a static or dynamic
// feature count); its verifier's diagnostics are in
// expand-features-invalid.mlir.

// CHECK-LABEL: func.func @expand
func.func @expand(%t: tensor<16x8xf32>, %w: tensor<?x?x?xf32>, %b: tensor<?x?xf32>,
                  %w1: tensor<1x3x8xbf16>, %b1: tensor<1x3xf32>, %h: index)
    -> (tensor<16x?xf32>, tensor<16x6xf32>, tensor<16x73xf32>, tensor<16x?xf32>) {
  // CHECK: attn_tile.expand_features %{{.*}} map(<hedgehog>) weights(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?xf32>) head %{{.*}} : tensor<16x8xf32> -> tensor<16x?xf32>
  %a = attn_tile.expand_features %t map(#attn.feature_map<hedgehog>)
      weights(%w, %b : tensor<?x?x?xf32>, tensor<?x?xf32>) head %h
      : tensor<16x8xf32> -> tensor<16x?xf32>
  // CHECK: attn_tile.expand_features %{{.*}} map(<hedgehog>) weights(%{{.*}}, %{{.*}} : tensor<1x3x8xbf16>, tensor<1x3xf32>) head %{{.*}} : tensor<16x8xf32> -> tensor<16x6xf32>
  %c = attn_tile.expand_features %t map(#attn.feature_map<hedgehog>)
      weights(%w1, %b1 : tensor<1x3x8xbf16>, tensor<1x3xf32>) head %h
      : tensor<16x8xf32> -> tensor<16x6xf32>
  // CHECK: attn_tile.expand_features %{{.*}} map(<taylor2>) : tensor<16x8xf32> -> tensor<16x73xf32>
  %d = attn_tile.expand_features %t map(#attn.feature_map<taylor2>)
      : tensor<16x8xf32> -> tensor<16x73xf32>
  // CHECK: attn_tile.expand_features %{{.*}} map(<taylor2>) : tensor<16x8xf32> -> tensor<16x?xf32>
  %e = attn_tile.expand_features %t map(#attn.feature_map<taylor2>)
      : tensor<16x8xf32> -> tensor<16x?xf32>
  return %a, %c, %d, %e : tensor<16x?xf32>, tensor<16x6xf32>, tensor<16x73xf32>, tensor<16x?xf32>
}
