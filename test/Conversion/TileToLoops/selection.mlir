// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' -convert-attn-tile-to-loops | FileCheck %s

// The portable lowering of the selection ops:
// - pool_keys: one tensor.generate, each element a loop over its block's
//   actual keys (the last block partial), the mean divided by their count;
// - select_blocks: the gates as a (row, block, x) contraction; for top-k
//   alone each row's cutoff (a linalg.generic over the rows: the always
//   kept blocks counted, then the walk down the ranking, one pass over the
//   eligible blocks per selected block, on 64-bit rank keys from the
//   gates' bits), then each member (a linalg.generic, not a
//   tensor.generate: canonicalization would inline a generate's body into
//   keep_selected's reads) one key comparison with the cutoff; the visited
//   blocks an or-reduction over the rows;
// - keep_selected: -inf unless the key's block is a member;
// - for_key_tiles: a tile runs only when its class is not empty and some
//   block it overlaps is visited.

// CHECK-LABEL: func.func @moba
// pool_keys
// CHECK: arith.ceildivui %{{.*}}, %c64
// CHECK: tensor.generate
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: arith.uitofp
// CHECK: arith.divf
// CHECK: scf.forall
// select_blocks: gates, cutoffs (kept count, walk), members, visited
// CHECK: tensor.extract_slice {{.*}} to tensor<?x?xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.fma
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} outs(%{{.*}} : tensor<?xi64>)
// CHECK: scf.for {{.*}} -> (index)
// CHECK: scf.for {{.*}} -> (i64)
// CHECK: scf.for {{.*}} -> (i64)
// CHECK: arith.cmpf uno
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : i64
// CHECK: arith.cmpi ugt, %{{.*}}, %{{.*}} : i64
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<16x?xi1>)
// CHECK: tensor.extract %{{.*}} : tensor<?xi64>
// CHECK: arith.cmpi uge, %{{.*}}, %{{.*}} : i64
// CHECK: linalg.yield %{{.*}} : i1
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: arith.ori
// the key loop: visited blocks of the tile
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (i1)
// CHECK: tensor.extract %{{.*}} : tensor<?xi1>
// CHECK: scf.if
// keep_selected
// CHECK: arith.divui %{{.*}}, %c64
// CHECK: tensor.extract %{{.*}} : tensor<16x?xi1>
func.func @moba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// max and min pooling propagate NaN (maximumf / minimumf, not maxnumf).
// CHECK-LABEL: func.func @max_pool
// CHECK: arith.maximumf
// CHECK-LABEL: func.func @min_pool
// CHECK: arith.minimumf
func.func @max_pool(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 8, k = 1, pool = max>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
func.func @min_pool(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q selection(#attn.topk_blocks<block = 8, k = 1, pool = min>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A learned gate: the concatenated pools fill their slices of one pooled
// key (tensor.insert_slice at p x D), each projection is a loop over the
// pooled width per element (the weight's head 0 when it is shared), and
// the masses scale the gates by 1 / sqrt(Dg) (the projected width).
// CHECK-LABEL: func.func @learned_gate
// CHECK: tensor.empty(%{{.*}}) : tensor<1x2x?x32xf32>
// CHECK: tensor.generate
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, %{{.*}}] [1, 2, %{{.*}}, 16] [1, 1, 1, 1] : tensor<1x2x?x16xf32> into tensor<1x2x?x32xf32>
// CHECK: tensor.generate
// CHECK: arith.divf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, %{{.*}}] [1, 2, %{{.*}}, 16] [1, 1, 1, 1] : tensor<1x2x?x16xf32> into tensor<1x2x?x32xf32>
// CHECK: arith.cmpi eq
// CHECK: tensor.generate
// CHECK: arith.select
// CHECK: scf.for
// CHECK: math.fma
// CHECK: scf.forall
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<16x4xf32>, tensor<?x4xf32>)
// CHECK: %[[DG:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<16x4xf32>
// CHECK: arith.index_castui %[[DG]]
// CHECK: math.rsqrt
func.func @learned_gate(%q: tensor<1x2x40x16xf32>, %wq: tensor<1x16x4xf32>,
                        %wk: tensor<2x32x4xbf16>) -> tensor<1x2x40x16xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, mean], q_block = 1, threshold = 0.1, gate = learned>,
                 %wq, %wk : tensor<1x16x4xf32>, tensor<2x32x4xbf16>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// Proxy heads: the pooled keys are pooled per key head, then averaged over
// each group of heads (a loop over the group's heads per element).
// CHECK-LABEL: func.func @proxy_heads
// CHECK: tensor.generate
// CHECK: } : tensor<1x4x?x16xf32>
// CHECK: tensor.generate
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: } : tensor<1x2x?x16xf32>
// CHECK: scf.forall
func.func @proxy_heads(%q: tensor<1x4x40x16xf32>) -> tensor<1x4x40x16xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, q_block = 8, head_group = true, proxy_heads = 2>)
       : tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32> -> tensor<1x4x40x16xf32>
  return %o : tensor<1x4x40x16xf32>
}
