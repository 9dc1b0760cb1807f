// Zoo wave 2, P17 PBS-Attn in part: block selection on the caller's
// permuted Q, K, V (per query block of 64, cumulative mass 0.9, every block
// eligible) and causality on the original positions, captured per token
// (mask_fn), against the float64 reference. The runner draws the positions
// at random in [0, Nk - 1] (not a permutation: this checks the declared
// semantics for any positions, rows with no earlier key included).
// Lengths that are not multiples of the blocks or tiles, GQA, tiles that
// straddle the query blocks, a decode step, Nq > Nk, one token; the
// portable lowering and bf16 at 8 lanes.

// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 61 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 62 --tile-program --shape 2,4,2,512,512,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 63 --tile-program --tile-q 48 --tile-kv 40 --shape 1,2,2,77,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 64 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 65 --tile-program --portable-tiles --shape 1,2,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 66 --tile-program --vector-width 8 --element-type bf16 --shape 1,2,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 67 --tile-program --shape 1,1,1,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/pbs_attn.mlir --random 68 --tile-program --shape 1,2,1,300,100,16 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
