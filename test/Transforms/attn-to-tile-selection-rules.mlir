// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' | FileCheck %s

// Selections whose gate rows are not the score tile's query rows:
// - under a feature map the query tile holds phi(q); select_blocks reads
//   the raw query, reloaded (the gate is pool(Q) . pool(K), SLA's);
// - given scores per query block: the work item's rows of the scores,
//   scores[b, hk, (q0 + r) / q_block, c] (the last query block for rows
//   past the queries), are select_blocks' given gates; no pooled queries.

// CHECK-LABEL: func.func @feature_map_band
// CHECK: %[[PK:.*]] = attn_tile.pool_keys %arg0
// CHECK: %[[PQ:.*]] = attn_tile.pool_queries %arg0
// CHECK: %[[RAW:.*]] = attn_tile.load %arg0[%[[B:.*]], %[[H:.*]], %[[Q0:.*]]] : tensor<?x?x?x?xf32> -> tensor<16x?xf32>
// CHECK-NEXT: attn_tile.expand_features %[[RAW]] map(<softmax>)
// CHECK-NEXT: %[[GATEQ:.*]] = attn_tile.load %arg0[%[[B]], %[[H]], %[[Q0]]] : tensor<?x?x?x?xf32> -> tensor<16x?xf32>
// CHECK-NEXT: attn_tile.select_blocks %[[GATEQ]], %[[PK]][%[[B]], %{{.*}}] queries %[[PQ]][%[[H]]] {{.*}}skip = 2>)
func.func @feature_map_band(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<softmax>)
       selection(#attn.topk_blocks<block = 16, k = 6, pool = mean, q_block = 16, keep_current = false, causal = false, skip = 2>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @route
// CHECK: %[[LAST:.*]] = arith.subi %{{.*}}, %c1{{.*}} : index
// CHECK: %[[ROWS:.*]] = tensor.generate
// CHECK: %[[ROW:.*]] = arith.addi %[[Q0:.*]], %arg6 : index
// CHECK: %[[QB:.*]] = arith.divui %[[ROW]], %c16{{.*}} : index
// CHECK: arith.minsi %[[QB]], %[[LAST]] : index
// CHECK: tensor.extract %arg1[
// CHECK: attn_tile.select_blocks %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}[%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}] gates(%[[ROWS]] : tensor<16x?xf32>) at %[[Q0]] {{.*}}gate = given
func.func @route(%q: tensor<?x?x?x?xf32>, %s: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean, q_block = 16, keep_current = false, causal = false, gate = given>)
       block_scores(%s : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
