// Zoo wave 2, Y08 SLA in part: per query block of 64, the key blocks
// ranked by the mean-pooled gate; the top 4 exact (softmax), ranks [4, 12)
// linear attention (phi = softmax over the features, l1, the selection's
// rank band `skip = 4` under a feature map), the rest skipped; summed with
// a per-channel diagonal standing for Proj. Against the float64 reference
// of the whole function at lengths with negligible blocks (more than 12
// blocks) and without (the band partly empty), not multiples of the
// blocks or the tiles, GQA, one query token, bf16, the portable tiles; and
// against SLA's formula in NumPy (float64, test/zoo/Inputs/sla_numpy.py),
// independent of the reference. Lowered through the tile program only.

// RUN: attn-run %zoo/hybrids/sla.mlir --random 1 --tile-program --shape 1,2,1,1100,1100,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/sla.mlir --random 2 --tile-program --shape 2,4,2,300,900,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/sla.mlir --random 3 --tile-program --shape 1,2,1,1,1000,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/sla.mlir --random 4 --tile-program --shape 1,2,2,130,500,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/sla.mlir --random 5 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,200,1000,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/sla.mlir --random 6 --tile-program --element-type bf16 --shape 1,2,1,300,1000,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/sla.mlir --random 7 --tile-program --portable-tiles --shape 1,2,1,100,900,8 --check | FileCheck %s
// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// RUN: attn-run %zoo/hybrids/sla.mlir --random 8 --tile-program --shape 1,4,2,200,1000,16 --dump-inputs %t.a. -o %t.a.out.npy
// RUN: %numpy_python %S/Inputs/sla_numpy.py %t.a. %t.a.out.npy 64 4 8 | FileCheck %s --check-prefix=FORMULA
// RUN: attn-run %zoo/hybrids/sla.mlir --random 9 --tile-program --shape 1,2,1,70,1300,8 --dump-inputs %t.b. -o %t.b.out.npy
// RUN: %numpy_python %S/Inputs/sla_numpy.py %t.b. %t.b.out.npy 64 4 8 | FileCheck %s --check-prefix=FORMULA
// FORMULA: SLA formula rel_fro_err {{.*}} OK
