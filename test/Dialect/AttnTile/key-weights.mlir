// RUN: attn-opt %s | attn-opt | FileCheck %s

// The keys weighted from the queries (RALA, Flowformer) round-trip: flow
// has the row factors as a second result.

// CHECK-LABEL: func.func @key_weights
// CHECK: attn_tile.key_weights %{{.*}}, %{{.*}} map(<elu_plus_one, keys = query_weighted>) : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.key_weights %{{.*}}, %{{.*}} map(<sigmoid, keys = flow>) : tensor<1x4x8x16xf32>, tensor<1x2x6x16xf32> -> tensor<1x4x6x16xf32>, tensor<1x4x8xf32>
func.func @key_weights(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                       %q2: tensor<1x4x8x16xf32>, %k2: tensor<1x2x6x16xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<1x4x6x16xf32>, tensor<1x4x8xf32>) {
  %a = attn_tile.key_weights %q, %k map(#attn.feature_map<elu_plus_one, keys = query_weighted>) : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  %b, %g = attn_tile.key_weights %q2, %k2 map(#attn.feature_map<sigmoid, keys = flow>) : tensor<1x4x8x16xf32>, tensor<1x2x6x16xf32> -> tensor<1x4x6x16xf32>, tensor<1x4x8xf32>
  return %a, %b, %g : tensor<?x?x?x?xf32>, tensor<1x4x6x16xf32>, tensor<1x4x8xf32>
}
