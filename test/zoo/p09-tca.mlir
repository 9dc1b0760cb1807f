// Zoo wave 2, P09 TCA-Attention in part: per-key-head token budgets (96
// and 160 tokens, the 32 most recent kept) over the caller's redundancy
// scores (one-token blocks, gate = given), causal. Against the float64
// reference at lengths that are not multiples of the tiles and beyond both
// budgets, GQA (two query heads per key head), two sequences, a decode step
// (one query token), Nq > Nk (the first rows see no key: 0), bf16, the
// portable tiles, tiles that do not divide the lengths; and against TCA's
// selection written in NumPy (float64, test/zoo/Inputs/tca_numpy.py:
// each head's own token, its 31 predecessors, then the highest-scored
// earlier tokens up to the head's budget), independent of the reference.
// Lowered through the tile program only (`path tile program`).

// RUN: attn-run %zoo/selection/tca.mlir --random 1 --tile-program --shape 1,2,2,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/tca.mlir --random 2 --tile-program --shape 2,4,2,257,257,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/tca.mlir --random 3 --tile-program --shape 1,4,2,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/tca.mlir --random 4 --tile-program --shape 1,2,2,200,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/tca.mlir --random 5 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,2,130,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/tca.mlir --random 6 --tile-program --element-type bf16 --shape 1,2,2,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/tca.mlir --random 7 --tile-program --portable-tiles --shape 1,2,2,77,200,8 --check | FileCheck %s
// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// RUN: attn-run %zoo/selection/tca.mlir --random 8 --tile-program --shape 1,4,2,200,300,16 --dump-inputs %t.a. -o %t.a.out.npy
// RUN: %numpy_python %S/Inputs/tca_numpy.py %t.a. %t.a.out.npy 31 96,160 | FileCheck %s --check-prefix=FORMULA
// RUN: attn-run %zoo/selection/tca.mlir --random 9 --tile-program --shape 2,2,2,1,400,8 --dump-inputs %t.b. -o %t.b.out.npy
// RUN: %numpy_python %S/Inputs/tca_numpy.py %t.b. %t.b.out.npy 31 96,160 | FileCheck %s --check-prefix=FORMULA
// FORMULA: TCA formula rel_fro_err {{.*}} OK

// One budget per key head: a run with other key heads is refused.
// RUN: not attn-run %zoo/selection/tca.mlir --random 10 --tile-program --shape 1,2,1,64,64,16 2>&1 | FileCheck %s --check-prefix=HEADS
// HEADS: error: input 'k' dimension 1 is 1 but the spec declares 2
