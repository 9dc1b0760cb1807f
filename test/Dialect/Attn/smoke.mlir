// RUN: attn-opt %s | attn-opt | FileCheck %s

// CHECK-LABEL: func.func @causal
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} mask(#attn.causal)
func.func @causal(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
