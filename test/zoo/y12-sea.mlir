// Zoo wave 2, Y12 SEA in part: each query's top-8 compressed columns (16
// keys each) by the caller's estimate (block_scores per query: a given
// gate with q_block = 1), causal, then exact softmax attention over the
// keys of those columns. Against the float64 reference at lengths that are
// not multiples of the columns or the tiles, GQA, a decode step (one query
// token), Nq > Nk (the first rows see no key: 0), bf16, the portable
// tiles; and against the rule in NumPy (float64,
// test/zoo/Inputs/sea_numpy.py), independent of the reference. Lowered
// through the tile program only.

// RUN: attn-run %zoo/selection/sea.mlir --random 1 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sea.mlir --random 2 --tile-program --shape 2,4,2,257,257,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sea.mlir --random 3 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sea.mlir --random 4 --tile-program --shape 1,2,2,200,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sea.mlir --random 5 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,130,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sea.mlir --random 6 --tile-program --element-type bf16 --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sea.mlir --random 7 --tile-program --portable-tiles --shape 1,2,1,77,200,8 --check | FileCheck %s
// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// RUN: attn-run %zoo/selection/sea.mlir --random 8 --tile-program --shape 1,4,2,200,300,16 --dump-inputs %t.a. -o %t.a.out.npy
// RUN: %numpy_python %S/Inputs/sea_numpy.py %t.a. %t.a.out.npy 16 8 | FileCheck %s --check-prefix=FORMULA
// RUN: attn-run %zoo/selection/sea.mlir --random 9 --tile-program --shape 2,2,1,1,400,8 --dump-inputs %t.b. -o %t.b.out.npy
// RUN: %numpy_python %S/Inputs/sea_numpy.py %t.b. %t.b.out.npy 16 8 | FileCheck %s --check-prefix=FORMULA
// FORMULA: SEA formula rel_fro_err {{.*}} OK
