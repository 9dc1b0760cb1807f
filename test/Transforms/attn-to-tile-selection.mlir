// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' | FileCheck %s
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 split-kv=4' | FileCheck %s
// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8 split-kv=0' | FileCheck %s

// A selection: the keys are pooled once per call, before the work items;
// each work item selects its rows' blocks from its query tile, the key
// loop visits only the tiles of selected blocks (`selected(...)`), and the
// scores of unselected pairs are excluded after the mask (also in P V).
// The split-KV form is not used (a selection is its own key-tile list).

// CHECK-LABEL: func.func @moba
// CHECK: %[[KBAR:.*]] = attn_tile.pool_keys %[[K:[a-z0-9]+]] selection(<block = 64, k = 3, pool = mean>) : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: scf.forall
// CHECK-NOT: scf.forall
// CHECK: %[[QT:.*]] = attn_tile.load
// CHECK: %[[MEM:.*]], %[[VIS:.*]] = attn_tile.select_blocks %[[QT]], %[[KBAR]][%{{.*}}, %{{.*}}] at %{{.*}} lengths(%{{.*}}, %{{.*}}) selection(<block = 64, k = 3, pool = mean>) : tensor<16x?xf32>, tensor<?x?x?x?xf32> -> tensor<16x?xi1>, tensor<?xi1>
// CHECK: attn_tile.for_key_tiles keys(%{{.*}}) queries(%{{.*}}, %{{.*}}) selected(%[[VIS]] : tensor<?xi1> block 64)
// CHECK: %[[MASKED:.*]] = attn_tile.mask
// CHECK: %[[KEPT:.*]] = attn_tile.keep_selected %[[MASKED]], %[[MEM]] at %{{.*}} length %{{.*}} block 64 : tensor<16x8xf32>, tensor<16x?xi1>
// CHECK: attn_tile.online_update %[[KEPT]]
// CHECK: attn_tile.accumulate {{.*}} excluding(%[[KEPT]] : tensor<16x8xf32>)
// CHECK-NOT: attn_tile.merge
func.func @moba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Two passes (weight_mod): both key loops visit the selection.
// CHECK-LABEL: func.func @two_passes
// CHECK: attn_tile.pool_keys
// CHECK: attn_tile.select_blocks
// CHECK: attn_tile.for_key_tiles {{.*}} selected(%{{.*}} : tensor<?xi1> block 4)
// CHECK: attn_tile.keep_selected
// CHECK: attn_tile.for_key_tiles {{.*}} selected(%{{.*}} : tensor<?xi1> block 4)
// CHECK: attn_tile.keep_selected
// CHECK: attn_tile.weight_mod
func.func @two_passes(%q: tensor<1x2x40x8xbf16>, %k: tensor<1x2x40x8xbf16>,
                      %v: tensor<1x2x40x8xbf16>) -> tensor<1x2x40x8xbf16> {
  %o = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 4, k = 2, pool = max, keep_current = false>)
       weight_mod {
  ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
    %y = arith.mulf %w, %r : f32
    attn.yield %y : f32
  }
       : tensor<1x2x40x8xbf16>, tensor<1x2x40x8xbf16>, tensor<1x2x40x8xbf16> -> tensor<1x2x40x8xbf16>
  return %o : tensor<1x2x40x8xbf16>
}

// Per query block: the queries are pooled once per call too (a query block
// may straddle query tiles); each work item reads its rows' pooled query
// by the query head, so the rows of a query block share one selection.
// CHECK-LABEL: func.func @query_block
// CHECK: %[[KBAR:.*]] = attn_tile.pool_keys %{{.*}} selection(<block = 32, k = 1000, pool = mean, q_block = 32, mass = 9.000000e-01 : f64>)
// CHECK: %[[QBAR:.*]] = attn_tile.pool_queries %{{.*}} selection(<block = 32, k = 1000, pool = mean, q_block = 32, mass = 9.000000e-01 : f64>) : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: scf.forall (%{{.*}}, %[[H:.*]], %{{.*}}) in
// CHECK: attn_tile.select_blocks %{{.*}}, %[[KBAR]][%{{.*}}, %{{.*}}] queries %[[QBAR]][%[[H]]] at
// CHECK: attn_tile.for_key_tiles {{.*}} selected(%{{.*}} : tensor<?xi1> block 32)
// CHECK: attn_tile.keep_selected
func.func @query_block(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                       %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 32, k = 1000, pool = mean, q_block = 32, mass = 0.9>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A head group: the pooled queries are averaged per key head (groups: the
// key head count) and each work item reads its key head's.
// CHECK-LABEL: func.func @head_group
// CHECK: %[[QBAR:.*]] = attn_tile.pool_queries %{{.*}} groups %{{.*}} selection(<block = 8, k = 2, pool = mean, q_block = 8, head_group = true>) : tensor<1x4x40x16xf32> -> tensor<1x2x?x16xf32>
// CHECK: scf.forall (%{{.*}}, %[[HQ:[a-z0-9]+]], %{{.*}}) in
// CHECK: %[[HK:.*]] = arith.divui %[[HQ]], %{{.*}} : index
// CHECK: attn_tile.select_blocks %{{.*}}, %{{.*}}[%{{.*}}, %[[HK]]] queries %[[QBAR]][%[[HK]]] at
func.func @head_group(%q: tensor<1x4x40x16xf32>, %k: tensor<1x2x40x16xf32>,
                      %v: tensor<1x2x40x16xf32>) -> tensor<1x4x40x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, q_block = 8, head_group = true>)
       : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x4x40x16xf32>
  return %o : tensor<1x4x40x16xf32>
}

// A learned gate (SeerAttention): the concatenated pooled keys (3 pools)
// and the pooled queries are projected once per call, before the work
// items; each work item selects from the projected rows.
// CHECK-LABEL: func.func @learned_gate
// CHECK: %[[KBAR:.*]] = attn_tile.pool_keys %{{.*}} selection(<block = 64, k = 4, pool = [max, min, mean], q_block = 64, gate = learned>) : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: %[[KG:.*]] = attn_tile.project_pooled %[[KBAR]], %{{.*}} : tensor<?x?x?x?xf32>, tensor<1x?x8xbf16> -> tensor<?x?x?x8xf32>
// CHECK: %[[QBAR:.*]] = attn_tile.pool_queries
// CHECK: %[[QG:.*]] = attn_tile.project_pooled %[[QBAR]], %{{.*}} : tensor<?x?x?x?xf32>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: scf.forall
// CHECK-NOT: attn_tile.project_pooled
// CHECK: attn_tile.select_blocks %{{.*}}, %[[KG]][%{{.*}}, %{{.*}}] queries %[[QG]][%{{.*}}] at {{.*}} : tensor<16x?xf32>, tensor<?x?x?x8xf32>, tensor<?x?x?x?xf32> -> tensor<16x?xi1>, tensor<?xi1>
// CHECK: attn_tile.keep_selected
func.func @learned_gate(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>, %wq: tensor<?x?x?xf32>,
                        %wk: tensor<1x?x8xbf16>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 4, pool = [max, min, mean], q_block = 64, gate = learned>,
                 %wq, %wk : tensor<?x?x?xf32>, tensor<1x?x8xbf16>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Static shapes: the pooled key is 2 x 16 wide, the gate width 4.
// CHECK-LABEL: func.func @learned_gate_static
// CHECK: attn_tile.pool_keys {{.*}} : tensor<1x2x40x16xf32> -> tensor<1x2x?x32xf32>
// CHECK: attn_tile.project_pooled {{.*}} : tensor<1x2x?x32xf32>, tensor<2x32x4xf32> -> tensor<1x2x?x4xf32>
// CHECK: attn_tile.project_pooled {{.*}} : tensor<1x2x?x16xf32>, tensor<2x16x4xf32> -> tensor<1x2x?x4xf32>
func.func @learned_gate_static(%q: tensor<1x2x40x16xf32>, %wq: tensor<2x16x4xf32>,
                               %wk: tensor<2x32x4xf32>) -> tensor<1x2x40x16xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 8, k = 2, pool = [max, mean], q_block = 1, gate = learned>,
                 %wq, %wk : tensor<2x16x4xf32>, tensor<2x32x4xf32>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// Proxy heads (ProxyAttn): the keys and queries are pooled per group of
// heads (2 groups), and each work item selects from its query head's group
// h / (Hq / 2), for the keys and the queries alike.
// CHECK-LABEL: func.func @proxy_heads
// CHECK: %[[KBAR:.*]] = attn_tile.pool_keys %{{.*}} groups %[[G:[a-z0-9_]+]] selection({{.*}}proxy_heads = 2>) : tensor<1x4x?x16xf32> -> tensor<1x2x?x16xf32>
// CHECK: %[[QBAR:.*]] = attn_tile.pool_queries %{{.*}} groups %[[G]] selection({{.*}}) : tensor<1x8x?x16xf32> -> tensor<1x2x?x16xf32>
// CHECK: scf.forall (%{{.*}}, %[[H:[a-z0-9]+]], %{{.*}}) in
// CHECK: %[[G2:.*]] = arith.constant 2 : index
// CHECK-NEXT: %[[SIZE:.*]] = arith.divui %{{.*}}, %[[G2]]
// CHECK-NEXT: %[[P:.*]] = arith.divui %[[H]], %[[SIZE]]
// CHECK: attn_tile.select_blocks %{{.*}}, %[[KBAR]][%{{.*}}, %[[P]]] queries %[[QBAR]][%[[P]]]
func.func @proxy_heads(%q: tensor<1x8x?x16xf32>, %k: tensor<1x4x?x16xf32>,
                       %v: tensor<1x4x?x16xf32>) -> tensor<1x8x?x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean, q_block = 64, mass = 0.9, head_group = true, proxy_heads = 2>)
       : tensor<1x8x?x16xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32> -> tensor<1x8x?x16xf32>
  return %o : tensor<1x8x?x16xf32>
}
