// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// Multi-branch specs round-trip: attn.merge (exact, through the
// logsumexps; with and without the merged logsumexp), attn.gated_sum
// (row and element-wise gates), attn.pool_blocks (with and without the
// log counts) and a selection's complement (false, the default, is not
// printed).

// CHECK-LABEL: func.func @merge_two
// CHECK: attn.merge %{{.*}}, %{{.*}} lse(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?x?xf32>) : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
func.func @merge_two(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %oa, %la = attn.attention %q, %k, %v mask(#attn.window<left = 3, right = 0>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %ob, %lb = attn.attention %q, %k, %v mask(#attn.and<[#attn.causal, #attn.not<#attn.window<left = 3, right = 0>>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o, %l = attn.merge %oa, %ob lse(%la, %lb : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @merge_output_only
// CHECK: attn.merge %{{.*}}, %{{.*}}, %{{.*}} lse(%{{.*}}, %{{.*}}, %{{.*}} : {{.*}}) : {{.*}} -> tensor<1x2x8x4xbf16>{{$}}
func.func @merge_output_only(%o1: tensor<1x2x8x4xbf16>, %o2: tensor<1x2x8x4xbf16>, %o3: tensor<1x2x8x4xbf16>,
                             %l1: tensor<1x2x8xf32>, %l2: tensor<1x2x8xf32>, %l3: tensor<1x2x8xf32>) -> tensor<1x2x8x4xbf16> {
  %o = attn.merge %o1, %o2, %o3 lse(%l1, %l2, %l3 : tensor<1x2x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>)
       : tensor<1x2x8x4xbf16>, tensor<1x2x8x4xbf16>, tensor<1x2x8x4xbf16> -> tensor<1x2x8x4xbf16>
  return %o : tensor<1x2x8x4xbf16>
}

// CHECK-LABEL: func.func @gated
// CHECK: attn.gated_sum %{{.*}}, %{{.*}} gates(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<1x1x1x?xf32>) : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
func.func @gated(%o1: tensor<?x?x?x?xf32>, %o2: tensor<?x?x?x?xf32>,
                 %g1: tensor<?x?x?xf32>, %g2: tensor<1x1x1x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.gated_sum %o1, %o2 gates(%g1, %g2 : tensor<?x?x?xf32>, tensor<1x1x1x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @pooled_complement
// CHECK: attn.pool_blocks %{{.*}} block(16) : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<1x1x1x?xf32>
// CHECK: attn.pool_blocks %{{.*}} block(16) : tensor<1x2x40x8xbf16> -> tensor<1x2x3x8xf32>{{$}}
// CHECK: attn.pool_blocks %{{.*}} block(16) : tensor<1x2x40x8xbf16> -> tensor<1x2x3x8xbf16>{{$}}
// CHECK: selection(<block = 1, k = 2, pool = mean, q_block = 16, causal = false, complement = true>)
func.func @pooled_complement(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<1x2x40x8xbf16>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %kbar, %logn = attn.pool_blocks %k block(16) : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<1x1x1x?xf32>
  %vbar = attn.pool_blocks %v block(16) : tensor<1x2x40x8xbf16> -> tensor<1x2x3x8xf32>
  %vbar16 = attn.pool_blocks %v block(16) : tensor<1x2x40x8xbf16> -> tensor<1x2x3x8xbf16>
  %o, %l = attn.attention %q, %kbar, %vbar bias(%logn : tensor<1x1x1x?xf32>)
       selection(#attn.topk_blocks<block = 1, k = 2, pool = mean, q_block = 16, causal = false, complement = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<1x2x3x8xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}
