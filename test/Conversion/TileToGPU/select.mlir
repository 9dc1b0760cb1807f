// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=32}))' | FileCheck %s
// A block selection (MoBA: mean-pooled keys, top-k per token plus the
// current block, causal) lowers to three block-level foralls: the pooling
// kernel (one block per (batch, key head, key block)), the selection kernel
// (one block per work item: the Q tile in shared memory, the gates, each
// row's selected blocks, the work item's key tiles filtered from the static
// schedule into a shared list, then compacted by one thread into the global
// list and its count) and the attention kernel, which visits count[item]
// entries of list[item] and tests each pair's block on partial tiles.

// CHECK-LABEL: func.func @moba
// CHECK-SAME:    attn.gpu.selection_kernels
// CHECK:         %[[LIST:.*]] = memref.alloc() : memref<14x7xi32>
// CHECK:         %[[COUNT:.*]] = memref.alloc() : memref<14xi32>
// CHECK:         %[[MEMBERS:.*]] = memref.alloc() : memref<1x2x112x4xi8>
// CHECK:         %[[POOLED:.*]] = memref.alloc() : memref<1x1x4x16xf32>
// CHECK:         scf.forall (%{{.*}}) in (4) {
// CHECK:           scf.forall (%{{.*}}) in (16) {
// CHECK:             scf.for
// CHECK:               arith.addf
// CHECK:             arith.divf
// CHECK:             memref.store %{{.*}}, %[[POOLED]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:         } {attn.gpu.selection_stage = "pool_keys", mapping = [#gpu.block<x>]}
// CHECK:         %[[GATES:.*]] = memref.alloc() : memref<14x16x4xf32>
// CHECK:         scf.forall (%[[ITEM:.*]]) in (14) {
// CHECK:           %[[QS:.*]] = memref.alloc() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK:           math.fma
// CHECK:           memref.store %{{.*}}, %[[GATES]][%[[ITEM]]
// The ranking: ties by the lower block index, NaN gates last.
// CHECK:           arith.cmpf uno
// CHECK:           arith.cmpf ogt
// CHECK:           arith.cmpf oeq
// CHECK:           memref.store %{{.*}}, %[[MEMBERS]]
// CHECK:           %[[CODES:.*]] = memref.alloc() : memref<7xi32, #gpu.address_space<workgroup>>
// CHECK:           memref.load %[[MEMBERS]]
// CHECK:           memref.store %{{.*}}, %[[CODES]]
// CHECK:           scf.forall (%{{.*}}) in (1) {
// CHECK:             memref.store %{{.*}}, %[[LIST]][%[[ITEM]], %{{.*}}]
// CHECK:             memref.store %{{.*}}, %[[COUNT]][%[[ITEM]]]
// CHECK:         } {attn.gpu.selection_stage = "select_blocks", mapping = [#gpu.block<x>]}
// The attention kernel: its work item's entries from the run-time list.
// CHECK:         scf.forall (%{{.*}}) in (14) {
// CHECK:           %[[N32:.*]] = memref.load %[[COUNT]][%[[W:.*]]] : memref<14xi32>
// CHECK:           %[[N:.*]] = arith.index_cast %[[N32]] : i32 to index
// CHECK:           scf.for %[[E:.*]] = %{{.*}} to %[[N]] step
// CHECK:             memref.load %[[LIST]][%[[W]], %[[E]]] : memref<14x7xi32>
// CHECK:             memref.load %[[MEMBERS]]
// CHECK:         } {attn.gpu.async_copies, attn.gpu.shared_bytes
// CHECK-NOT:     attn_tile.
func.func @moba(%q: tensor<1x2x100x16xf32>, %k: tensor<1x1x100x16xf32>,
                %v: tensor<1x1x100x16xf32>) -> tensor<1x2x100x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 32, k = 2, pool = mean>)
       : tensor<1x2x100x16xf32>, tensor<1x1x100x16xf32>, tensor<1x1x100x16xf32> -> tensor<1x2x100x16xf32>
  return %o : tensor<1x2x100x16xf32>
}

// Max pooling, no mask: the key loop still reads the run-time list, and the
// pair test of partial tiles is the selection alone.
// CHECK-LABEL: func.func @max_no_mask
// CHECK:         arith.maximumf
// CHECK:         attn.gpu.selection_stage = "pool_keys"
// CHECK:         attn.gpu.selection_stage = "select_blocks"
func.func @max_no_mask(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  %o = attn.attention %q, %q, %q
       selection(#attn.topk_blocks<block = 8, k = 2, pool = max, keep_current = false>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// Per query block with a cumulative mass and a sink (FlexPrefill's form):
// the queries are pooled once per call (a fourth block-level forall), the
// rows' softmax statistics of their scaled gates go to shared memory before
// the counting stage, which carries the mass of the blocks ranking first.
// CHECK-LABEL: func.func @query_block_mass
// CHECK:         attn.gpu.selection_stage = "pool_keys"
// CHECK:         %[[QBAR:.*]] = memref.alloc() : memref<1x2x3x16xf32>
// CHECK:         attn.gpu.selection_stage = "pool_queries"
// CHECK:         scf.forall (%{{.*}}) in (6) {
// CHECK:           memref.load %[[QBAR]]
// CHECK:           %[[MAX:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[SUM:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           arith.maxnumf
// CHECK:           math.exp
// CHECK:           memref.store %{{.*}}, %[[SUM]]
// CHECK:           scf.for {{.*}} iter_args({{.*}}) -> (index, f32)
// CHECK:         attn.gpu.selection_stage = "select_blocks"
func.func @query_block_mass(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       selection(#attn.topk_blocks<block = 8, k = 1000, pool = mean, q_block = 16, mass = 0.9, sinks = 1>)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}

// Shared by proxy heads (ProxyAttn): the pooled queries and keys are
// averaged per group by two more block-level foralls, and every query head
// of a group reads its group's rows.
// CHECK-LABEL: func.func @proxy_heads
// CHECK:         attn.gpu.selection_stage = "pool_keys"
// CHECK:         attn.gpu.selection_stage = "pool_queries"
// CHECK:         memref.alloc() : memref<1x1x3x16xf32>
// CHECK:         attn.gpu.selection_stage = "group_queries"
// CHECK:         memref.alloc() : memref<1x1x5x16xf32>
// CHECK:         attn.gpu.selection_stage = "group_keys"
// CHECK:         attn.gpu.selection_stage = "select_blocks"
func.func @proxy_heads(%q: tensor<1x4x40x16xf32>, %k: tensor<1x2x40x16xf32>) -> tensor<1x4x40x16xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.causal)
       selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, q_block = 16, head_group = true, proxy_heads = 1>)
       : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x4x40x16xf32>
  return %o : tensor<1x4x40x16xf32>
}
