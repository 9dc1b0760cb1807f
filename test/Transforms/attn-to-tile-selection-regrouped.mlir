// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 regroup-selection=true' | FileCheck %s
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=24 regroup-selection=true' | FileCheck %s --check-prefix=UNION
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' | FileCheck %s --check-prefix=UNION

// The regrouped form of a per-token selection (MoBA): (1) per query tile,
// the selection and the current block (causal and chunked<64>, no
// keep_selected); (2) per (batch, head), per key block, the rows that
// selected it as a past block, gathered by query tiles, against the
// block's keys without a mask, their row state gathered and scattered
// back; (3) per query tile, the finalization.

// CHECK-LABEL: func.func @moba
// CHECK: %[[KBAR:.*]] = attn_tile.pool_keys
// CHECK: %[[PHASE1:.*]]:4 = scf.forall
// CHECK: attn_tile.select_blocks
// CHECK: attn_tile.for_key_tiles keys(%{{.*}}) queries(%{{.*}}, %{{.*}}) iter_args
// CHECK-SAME: mask = #attn.and<[#attn.causal, #attn.chunked<64>]>
// CHECK-NOT: attn_tile.keep_selected
// CHECK: scf.forall.in_parallel
// CHECK: %[[PHASE2:.*]]:3 = scf.forall (%{{.*}}, %{{.*}}) in
// CHECK: scf.for
// CHECK: %[[ROWS:.*]], %[[COUNT:.*]] = attn_tile.block_rows %{{.*}} column %{{.*}} from %{{.*}} : tensor<?x?xi8> -> tensor<?xindex>
// CHECK: scf.for %[[G0:.*]] = %{{.*}} to %[[COUNT]] step %{{.*}}
// CHECK: %[[QG:.*]] = attn_tile.gather_rows %{{.*}}[%{{.*}}, %{{.*}}] rows %[[ROWS]][%[[G0]]] count %[[COUNT]] : tensor<?x?x?x?xf32>, tensor<?xindex> -> tensor<16x?xf32>
// CHECK: attn_tile.gather_rows %{{.*}} rows %[[ROWS]][%[[G0]]] count %[[COUNT]] : tensor<?x?xf32>, tensor<?xindex> -> tensor<16x?xf32>
// CHECK: attn_tile.for_key_tiles keys(%{{.*}}) range(%{{.*}}, %{{.*}}) queries
// CHECK-NOT: attn_tile.mask
// CHECK: attn_tile.scores %[[QG]]
// CHECK: attn_tile.online_update
// CHECK: attn_tile.accumulate
// CHECK: attn_tile.scatter_rows
// CHECK: scf.forall
// CHECK: attn_tile.finalize
// CHECK-NOT: attn_tile.merge

// UNION-LABEL: func.func @moba
// UNION-NOT: attn_tile.gather_rows
// UNION: attn_tile.keep_selected
// UNION-NOT: attn_tile.gather_rows
func.func @moba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A sliding window is not whole over past blocks: the union form.
// CHECK-LABEL: func.func @window
// CHECK-NOT: attn_tile.gather_rows
// CHECK: attn_tile.keep_selected
// UNION-LABEL: func.func @window
func.func @window(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 40, right = 0>]>)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Per query block: one selection per tile already, the union form.
// CHECK-LABEL: func.func @flashmoba
// CHECK-NOT: attn_tile.gather_rows
// CHECK: attn_tile.keep_selected
// UNION-LABEL: func.func @flashmoba
func.func @flashmoba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean, q_block = 64>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
