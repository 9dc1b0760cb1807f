// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' -convert-attn-tile-to-loops | FileCheck %s

// The rule's cap, the rank band and the score floor in the portable
// lowering of select_blocks:
// - budgets: the cap is the key head's entry, a chain of selects on the
//   head (budgets = [1, 4, 0]: head 0 takes 1, head 1 takes 4, others 0);
//   top-k alone walks the ranking up to the cap minus the kept blocks;
// - skip and min_score take the counting rule: fewer than cap blocks rank
//   before the block, its gate is at least the floor (OGE: NaN fails), and
//   at least `skip` blocks rank before it.

// CHECK-LABEL: func.func @budgets
// CHECK: %[[IS1:.*]] = arith.cmpi eq, %[[HK:.*]], %c1{{.*}} : index
// CHECK: %[[CAP1:.*]] = arith.select %[[IS1]], %c4{{.*}}, %c0{{.*}} : index
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %[[HK]], %c0{{.*}} : index
// CHECK: %[[CAP:.*]] = arith.select %[[IS0]], %c1{{.*}}, %[[CAP1]] : index
// CHECK: arith.cmpi ugt, %[[CAP]], %{{.*}} : index
func.func @budgets(%q: tensor<?x?x?x?xf32>, %k: tensor<?x3x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 4, pool = mean, budgets = [1, 4, 0]>)
       : tensor<?x?x?x?xf32>, tensor<?x3x?x?xf32>, tensor<?x3x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @band_floor
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %{{.*}}, %c0{{.*}} : index
// CHECK: %[[CAP:.*]] = arith.select %[[IS0]], %c1{{.*}}, %c4{{.*}} : index
// CHECK: %[[BELOW:.*]] = arith.cmpi ult, %[[BEFORE:.*]], %[[CAP]] : index
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[FLOOR:.*]] = arith.cmpf oge, %{{.*}}, %[[HALF]] : f32
// CHECK: %[[BOTH:.*]] = arith.andi %[[BELOW]], %[[FLOOR]] : i1
// CHECK: %[[SKIP:.*]] = arith.cmpi uge, %[[BEFORE]], %c1{{.*}} : index
// CHECK: arith.andi %[[BOTH]], %[[SKIP]] : i1
func.func @band_floor(%q: tensor<?x?x?x?xf32>, %k: tensor<?x2x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 4, pool = mean, budgets = [1, 4], skip = 1, min_score = 0.5>)
       : tensor<?x?x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
