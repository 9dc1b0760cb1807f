// Zoo wave 2, Y10 SVG-EAR in part: per query block of 64, the 4 key
// clusters (contiguous blocks of 64) with the highest route scores (the
// caller's error-over-cost estimates, block_scores per query block) exact,
// every other cluster compensated by its centroid key and mean value with a
// log(n_c) bias (attn.pool_blocks and the complement of the same given
// selection over the pooled keys), merged exactly (attn.merge). Against the
// float64 reference of the whole function at lengths that are not
// multiples of the clusters or the tiles, GQA, one query token, Nq > Nk, a
// length where every cluster is exact (the compensation fully masked),
// bf16, the portable tiles; and against the formula in NumPy (float64,
// test/zoo/Inputs/svg_ear_numpy.py), independent of the reference.
// Lowered through the tile program only.

// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 1 --tile-program --shape 1,2,1,300,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 2 --tile-program --shape 2,4,2,513,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 3 --tile-program --shape 1,2,1,1,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 4 --tile-program --shape 1,2,2,300,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 5 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,257,600,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 6 --tile-program --element-type bf16 --shape 1,2,1,300,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 7 --tile-program --portable-tiles --shape 1,2,1,100,400,8 --check | FileCheck %s
// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 8 --tile-program --shape 1,4,2,200,700,16 --dump-inputs %t.a. -o %t.a.out.npy
// RUN: %numpy_python %S/Inputs/svg_ear_numpy.py %t.a. %t.a.out.npy 64 4 | FileCheck %s --check-prefix=FORMULA
// RUN: attn-run %zoo/hybrids/svg_ear.mlir --random 9 --tile-program --shape 2,2,1,130,333,8 --dump-inputs %t.b. -o %t.b.out.npy
// RUN: %numpy_python %S/Inputs/svg_ear_numpy.py %t.b. %t.b.out.npy 64 4 | FileCheck %s --check-prefix=FORMULA
// FORMULA: SVG-EAR formula rel_fro_err {{.*}} OK
