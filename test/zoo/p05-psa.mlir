// Zoo wave 2, P05 PSA in part: attention over a key pyramid (1x, 2x, 4x,
// 8x, concatenated along the keys by the caller) with a level per (query
// block of 64, original key block), log(f) on the pooled keys, through
// captures (mask_fn and score_mod), against the float64 reference. The
// runner draws the level map and the per-key tables at random (levels 0-3
// and skip; not a real pyramid layout: this checks the declared semantics
// at any table). Lengths that are not multiples of the blocks or tiles,
// GQA, a decode step, Nq > Nk with most rows fully masked (Nk = 5: rows of
// 0), one token; the portable lowering, bf16 at 8 lanes, split-KV, the
// tiled and untiled lowerings.

// RUN: attn-run %zoo/selection/psa.mlir --random 41 --shape 1,2,2,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 42 --shape 2,4,2,512,480,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 43 --tile-q 16 --tile-kv 24 --shape 1,4,2,130,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 44 --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 45 --shape 1,2,2,200,5,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 46 --portable-tiles --shape 1,2,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 47 --vector-width 8 --element-type bf16 --shape 1,2,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 49 --untiled --shape 1,2,2,130,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 50 --split-kv 3 --shape 1,2,2,130,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/psa.mlir --random 51 --shape 1,1,1,1,1,16 --check | FileCheck %s

// CHECK: path
// CHECK: check output {{.*}} PASS
