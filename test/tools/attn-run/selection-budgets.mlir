// Per-head budgets (#attn.topk_blocks<..., budgets = [...]>, TCA):
// the rule's cap of the rows of key head hk is budgets[hk] instead of k.
// attn-run --check compares with the float64 reference at lengths that are
// not multiples of the blocks or tiles, GQA (two query heads per key
// head), one query token, Nq > Nk (early rows select nothing), f32 and
// bf16, both CPU tile lowerings, in each form of the selection:
//   - regrouped (per token, current block kept, queries' gates, tile-kv
//     dividing the block: the form attn-run picks for MoBA), budgets 1 and
//     4 (a head that keeps only its current block);
//   - union form, per query block under a cumulative mass capped per head
//     (the counting rule, passesRule), budgets 0 and 3 (a head that keeps
//     only its always-kept blocks);
//   - a head group (one selection per key head) with a threshold;
//   - a k_head_map under a threshold (the mapped key head's budget).
// The key heads are static (2) in the types of most specs here; with
// dynamic key heads, a run whose key heads differ from the budgets is
// refused when the spec is specialized to the shapes.

// RUN: rm -rf %t && split-file %s %t
// RUN: attn-run %t/moba.mlir --tile-program --tile-kv 16 --random 1 --shape 1,4,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %t/moba.mlir --tile-program --tile-kv 8 --tile-q 16 --random 2 --shape 2,2,2,77,130,16 --check | FileCheck %s
// RUN: attn-run %t/moba.mlir --tile-program --random 3 --shape 1,2,2,1,300,16 --check | FileCheck %s
// RUN: attn-run %t/moba.mlir --tile-program --random 4 --shape 1,2,2,300,50,16 --check | FileCheck %s
// RUN: attn-run %t/moba.mlir --tile-program --element-type bf16 --tile-kv 16 --random 5 --shape 1,4,2,130,130,16 --check | FileCheck %s
// RUN: attn-run %t/moba.mlir --tile-program --portable-tiles --random 6 --shape 1,2,2,100,100,8 --check | FileCheck %s
// RUN: attn-run %t/mass.mlir --tile-program --random 7 --shape 1,4,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %t/mass.mlir --tile-program --tile-q 16 --tile-kv 24 --random 8 --shape 2,2,2,77,130,16 --check | FileCheck %s
// RUN: attn-run %t/mass.mlir --tile-program --random 9 --shape 1,2,2,1,513,16 --check | FileCheck %s
// RUN: attn-run %t/mass.mlir --tile-program --portable-tiles --random 10 --shape 1,2,2,300,50,16 --check | FileCheck %s
// RUN: attn-run %t/group.mlir --tile-program --random 11 --shape 1,4,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %t/group.mlir --tile-program --element-type bf16 --random 12 --shape 1,6,2,61,333,16 --check | FileCheck %s
// RUN: attn-run %t/head_map.mlir --tile-program --random 16 --shape 1,4,2,150,150,16 --check | FileCheck %s
// RUN: attn-run %t/head_map.mlir --tile-program --element-type bf16 --random 17 --shape 2,6,2,90,200,16 --check | FileCheck %s
// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// The regrouped form takes the per-token spec (the rows of a key block
// gathered by block_rows); select_blocks carries the budgets.
// RUN: attn-opt %t/moba.mlir --attn-to-tile='tile-q=16 tile-kv=16 regroup-selection=true' | FileCheck %s --check-prefix=REGROUPED
// REGROUPED: attn_tile.select_blocks {{.*}}budgets = [1, 4]
// REGROUPED: attn_tile.block_rows

// RUN: attn-run %t/dynamic.mlir --tile-program --random 15 --shape 1,4,2,100,100,16 --check | FileCheck %s
// RUN: not attn-run %t/dynamic.mlir --tile-program --random 13 --shape 1,2,1,64,64,16 2>&1 | FileCheck %s --check-prefix=HEADS
// HEADS: error: 'attn.attention' op selection budgets has 2 entries but there are 1 key heads (one budget per key head)

// The untiled lowering refuses the selection by name.
// RUN: not attn-run %t/moba.mlir --untiled --random 14 --shape 1,2,2,64,64,16 2>&1 | FileCheck %s --check-prefix=UNTILED
// UNTILED: block selection is lowered through the tile program only

//--- moba.mlir
func.func @moba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x2x?x?xf32>,
                %v: tensor<?x2x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 4, pool = mean,
                                   budgets = [1, 4]>)
       : tensor<?x?x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//--- dynamic.mlir
func.func @dynamic(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 4, pool = mean,
                                   budgets = [2, 4]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//--- head_map.mlir
// A k_head_map (random in range): a query head takes its mapped key head's
// budget.
func.func @head_map(%q: tensor<?x?x?x?xf32>, %k: tensor<?x2x?x?xf32>,
                    %v: tensor<?x2x?x?xf32>, %m: tensor<?xi32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_head_map(%m : tensor<?xi32>)
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 8, k = 6, pool = max,
                                   threshold = 0.05, budgets = [2, 6]>)
       : tensor<?x?x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//--- mass.mlir
func.func @mass(%q: tensor<?x?x?x?xf32>, %k: tensor<?x2x?x?xf32>,
                %v: tensor<?x2x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 3, pool = mean,
                                   q_block = 24, mass = 0.8, sinks = 1,
                                   budgets = [0, 3]>)
       : tensor<?x?x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//--- group.mlir
func.func @group(%q: tensor<?x?x?x?xf32>, %k: tensor<?x2x?x?xf32>,
                 %v: tensor<?x2x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 5, pool = max,
                                   q_block = 16, threshold = 0.02,
                                   head_group = true,
                                   budgets = [5, 2]>)
       : tensor<?x?x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
