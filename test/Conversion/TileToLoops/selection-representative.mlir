// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' -convert-attn-tile-to-loops | FileCheck %s

// Representative keys and the query selection in the portable lowering:
// - pool_keys with pool = last (first): each element reads the block's
//   last (first) actual key, min((c + 1) B, N) - 1 (c B), with no loop;
// - select_blocks with select_queries: after the members, one more
//   (row, block) linalg.generic keeps a member only when the row's aligned
//   position p = q0 + r + Nk - Nq is >= 0 and its own block floor(p / B)
//   (clamped to the last block) is a member; the visited blocks are the
//   or over those rows.

// CHECK-LABEL: func.func @landmark
// CHECK: %c50 = arith.constant 50 : index
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c2_{{[0-9]+}}
// CHECK-NEXT: arith.ceildivui %[[N]], %c50
// CHECK: tensor.generate
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c50 : index
// CHECK: %[[END:.*]] = arith.addi %[[FIRST]], %c50 : index
// CHECK: %[[LAST:.*]] = arith.minsi %[[END]], %[[N]] : index
// CHECK: %[[KEY:.*]] = arith.subi %[[LAST]], %{{.*}} : index
// CHECK-NOT: scf.for
// CHECK: %[[X:.*]] = tensor.extract %arg0[%{{.*}}, %{{.*}}, %[[KEY]], %{{.*}}]
// CHECK-NEXT: tensor.yield %[[X]] : f32
// CHECK: scf.forall
func.func @landmark(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 50, k = 5, pool = last>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @select_queries
// pool = first: the block's first key
// CHECK: tensor.generate
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c8 : index
// CHECK-NOT: scf.for
// CHECK: %[[X:.*]] = tensor.extract %arg0[%{{.*}}, %{{.*}}, %[[FIRST]], %{{.*}}]
// CHECK-NEXT: tensor.yield %[[X]] : f32
// the members, then the rows whose own block is a member
// CHECK: %[[MEMBERS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<16x?xi1>)
// CHECK: } -> tensor<16x?xi1>
// CHECK: %[[KEPT:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<16x?xi1>)
// CHECK: %[[ANCHORED:.*]] = arith.cmpi sge, %[[P:.*]], %{{.*}} : index
// CHECK: %[[POS:.*]] = arith.maxsi %[[P]], %{{.*}} : index
// CHECK: %[[OWN:.*]] = arith.divui %[[POS]], %c8
// CHECK: %[[CLAMPED:.*]] = arith.minsi %[[OWN]], %{{.*}} : index
// CHECK: %[[OWNSEL:.*]] = tensor.extract %[[MEMBERS]][%{{.*}}, %[[CLAMPED]]] : tensor<16x?xi1>
// CHECK: %[[MEMBER:.*]] = tensor.extract %[[MEMBERS]][%{{.*}}, %{{.*}}] : tensor<16x?xi1>
// CHECK: %[[BOTH:.*]] = arith.andi %[[ANCHORED]], %[[OWNSEL]] : i1
// CHECK: %[[KEEP:.*]] = arith.andi %[[MEMBER]], %[[BOTH]] : i1
// CHECK: linalg.yield %[[KEEP]] : i1
// visited: an or-reduction over the kept rows
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[KEPT]] : tensor<16x?xi1>)
// CHECK: arith.ori
func.func @select_queries(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 8, k = 2, pool = first, keep_current = false, select_queries = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
