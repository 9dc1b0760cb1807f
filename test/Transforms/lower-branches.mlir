// RUN: attn-opt %s --attn-lower-branches --split-input-file | FileCheck %s

// attn.merge: per row the max logsumexp (0 while it is -inf), the weights
// exp(lse_k - m), the weighted mean of the branch outputs (0 when every
// branch is masked), and the merged logsumexp m + log(sum w_k).
// CHECK-LABEL: func.func @merge
// CHECK:         %[[OUT:.*]] = tensor.generate
// CHECK:           tensor.extract %arg2
// CHECK:           tensor.extract %arg3
// CHECK:           arith.maximumf
// CHECK:           arith.cmpf oeq, %{{.*}}, %cst
// CHECK:           math.exp
// CHECK:           math.exp
// CHECK:           arith.extf %{{.*}} : bf16 to f32
// CHECK:           arith.divf
// CHECK:           arith.select
// CHECK:           %[[T:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK:           tensor.yield %[[T]] : bf16
// CHECK:         } : tensor<1x2x?x4xbf16>
// CHECK:         %[[LSE:.*]] = tensor.generate
// CHECK:           math.log
// CHECK:         } : tensor<1x2x?xf32>
// CHECK:         return %[[OUT]], %[[LSE]]
// CHECK-NOT:     attn.merge
func.func @merge(%o1: tensor<1x2x?x4xbf16>, %o2: tensor<1x2x?x4xbf16>,
                 %l1: tensor<1x2x?xf32>, %l2: tensor<1x2x?xf32>)
    -> (tensor<1x2x?x4xbf16>, tensor<1x2x?xf32>) {
  %o, %l = attn.merge %o1, %o2 lse(%l1, %l2 : tensor<1x2x?xf32>, tensor<1x2x?xf32>)
       : tensor<1x2x?x4xbf16>, tensor<1x2x?x4xbf16>
         -> tensor<1x2x?x4xbf16>, tensor<1x2x?xf32>
  return %o, %l : tensor<1x2x?x4xbf16>, tensor<1x2x?xf32>
}

// -----

// attn.gated_sum: a statically broadcast gate dimension reads index 0, a
// dynamic one reads 0 when its extent is 1 at run time.
// CHECK-LABEL: func.func @gated
// CHECK:         tensor.generate
// CHECK:         ^bb0(%[[B:.*]]: index, %[[H:.*]]: index, %[[I:.*]]: index, %[[C:.*]]: index):
// CHECK:           %[[D0:.*]] = tensor.dim %arg2, %{{.*}} : tensor<?x?x?xf32>
// CHECK:           %[[U0:.*]] = arith.cmpi eq, %[[D0]], %{{.*}} : index
// CHECK:           %[[B0:.*]] = arith.select %[[U0]], %{{.*}}, %[[B]] : index
// CHECK:           tensor.extract %arg2[%[[B0]], %{{.*}}, %{{.*}}]
// CHECK:           tensor.extract %arg0[%[[B]], %[[H]], %[[I]], %[[C]]]
// CHECK:           arith.mulf
// CHECK:           tensor.extract %arg3[%[[Z:.*]], %[[Z]], %[[Z]], %{{.*}}]
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:           tensor.yield %{{.*}} : f32
func.func @gated(%o1: tensor<?x?x?x?xf32>, %o2: tensor<?x?x?x?xf32>,
                 %g1: tensor<?x?x?xf32>, %g2: tensor<1x1x1x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.gated_sum %o1, %o2 gates(%g1, %g2 : tensor<?x?x?xf32>, tensor<1x1x1x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// attn.pool_blocks: ceil(N / block) blocks, an f32 sum over each block's
// actual tokens divided by their count, and log(count) as a bias.
// CHECK-LABEL: func.func @pool
// CHECK:         %[[N:.*]] = tensor.dim %arg0, %c2
// CHECK:         %[[NB:.*]] = arith.ceildivui %[[N]], %c16
// CHECK:         tensor.generate %[[NB]]
// CHECK:           arith.minui
// CHECK:           scf.for
// CHECK:             arith.extf %{{.*}} : bf16 to f32
// CHECK:           arith.divf
// CHECK:         } : tensor<1x2x?x8xf32>
// CHECK:         tensor.generate %[[NB]]
// CHECK:           math.log
// CHECK:         } : tensor<1x1x1x?xf32>
func.func @pool(%k: tensor<1x2x?x8xbf16>) -> (tensor<1x2x?x8xf32>, tensor<1x1x1x?xf32>) {
  %p, %c = attn.pool_blocks %k block(16) : tensor<1x2x?x8xbf16> -> tensor<1x2x?x8xf32>, tensor<1x1x1x?xf32>
  return %p, %c : tensor<1x2x?x8xf32>, tensor<1x1x1x?xf32>
}

// -----

// A 16-bit spec's pooled values: summed in f32, rounded once.
// CHECK-LABEL: func.func @pool_bf16
// CHECK:         tensor.generate
// CHECK:           scf.for
// CHECK:           %[[M:.*]] = arith.divf
// CHECK:           %[[R:.*]] = arith.truncf %[[M]] : f32 to bf16
// CHECK:           tensor.yield %[[R]] : bf16
// CHECK:         } : tensor<1x2x?x8xbf16>
func.func @pool_bf16(%v: tensor<1x2x?x8xbf16>) -> tensor<1x2x?x8xbf16> {
  %p = attn.pool_blocks %v block(16) : tensor<1x2x?x8xbf16> -> tensor<1x2x?x8xbf16>
  return %p : tensor<1x2x?x8xbf16>
}
