// Zoo wave 2, Y11 Rectified SpaAttn in part: block-sparse attention (top 4
// of 64-key blocks per query block of 64, mean-pooled gate, non-causal)
// plus pooled attention over the blocks whose caller's gain score is at
// least 0 (a given selection per query block with min_score = 0 over the
// pooled keys, log n_c bias), summed with the caller's rectification
// factors (attn.gated_sum, row gates rho and w). The runner draws the
// gain scores at random, so the added blocks may overlap the critical
// ones here: this checks the declared semantics, the caller keeps them
// disjoint. Against the float64 reference of the whole function at
// lengths that are not multiples of the blocks or the tiles, GQA, one
// query token, Nq > Nk, bf16, the portable tiles; and against the formula
// in NumPy (float64, test/zoo/Inputs/rectified_spaattn_numpy.py),
// independent of the reference. Lowered through the tile program only.

// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 1 --tile-program --shape 1,2,1,300,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 2 --tile-program --shape 2,4,2,513,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 3 --tile-program --shape 1,2,1,1,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 4 --tile-program --shape 1,2,2,300,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 5 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,257,600,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 6 --tile-program --element-type bf16 --shape 1,2,1,300,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 7 --tile-program --portable-tiles --shape 1,2,1,100,400,8 --check | FileCheck %s
// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 8 --tile-program --shape 1,4,2,200,700,16 --dump-inputs %t.a. -o %t.a.out.npy
// RUN: %numpy_python %S/Inputs/rectified_spaattn_numpy.py %t.a. %t.a.out.npy 64 4 | FileCheck %s --check-prefix=FORMULA
// RUN: attn-run %zoo/hybrids/rectified_spaattn.mlir --random 9 --tile-program --shape 2,2,1,130,333,8 --dump-inputs %t.b. -o %t.b.out.npy
// RUN: %numpy_python %S/Inputs/rectified_spaattn_numpy.py %t.b. %t.b.out.npy 64 4 | FileCheck %s --check-prefix=FORMULA
// FORMULA: Rectified SpaAttn formula rel_fro_err {{.*}} OK
