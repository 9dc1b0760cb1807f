// Zoo wave 2, multi-branch specs (issue 16): Y09 PISA (exact attention on
// the critical blocks merged through the logsumexps with the 0th-order
// Taylor term of the other blocks: pooled keys, log n_c bias, the
// selection's complement) and an NSA-style spec (compressed, selected and
// sliding-window branches combined by gates). Checked against the float64
// reference of the whole function (every branch, the pooling and the
// combination evaluated by the reference itself) at lengths that are not
// multiples of the 64-key blocks or the tiles, GQA, one query token, and
// sizes where every block is critical (the Taylor branch fully masked).
// Lowered through the tile program only (`path tile program`).

// RUN: attn-run %zoo/hybrids/pisa.mlir --random 1 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/pisa.mlir --random 2 --tile-program --shape 2,4,2,512,512,32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/pisa.mlir --random 3 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/pisa.mlir --random 4 --tile-program --shape 1,2,2,200,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/pisa.mlir --random 5 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,257,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/pisa.mlir --random 6 --tile-program --element-type bf16 --shape 1,2,1,300,300,16 --check | FileCheck %s

// PISA's formula in NumPy (float64, test/zoo/Inputs/pisa_numpy.py: the
// critical blocks exact, every other block exp(scale q . kbar_c) times its
// value sum, with n_c exp(scale q . kbar_c) in the normalizer), independent
// of the reference: partial query and key blocks, GQA.
// RUN: attn-run %zoo/hybrids/pisa.mlir --random 7 --tile-program --shape 1,2,1,200,300,16 --dump-inputs %t.a. -o %t.a.out.npy
// RUN: %numpy_python %S/Inputs/pisa_numpy.py %t.a. %t.a.out.npy 64 4 | FileCheck %s --check-prefix=FORMULA
// RUN: attn-run %zoo/hybrids/pisa.mlir --random 8 --tile-program --shape 1,4,2,130,700,8 --dump-inputs %t.b. -o %t.b.out.npy
// RUN: %numpy_python %S/Inputs/pisa_numpy.py %t.b. %t.b.out.npy 64 4 | FileCheck %s --check-prefix=FORMULA
// FORMULA: PISA formula rel_fro_err {{.*}} OK

// NSA: 32-token compressed blocks (the first 31 rows see none: fully
// masked), 64-token selected blocks (16 of them: selection matters past
// 1024 keys), a 512-key window; gates with zeros; bf16 (the captured key
// retyped with it), the portable tiles.
// RUN: attn-run %zoo/hybrids/nsa.mlir --random 11 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/nsa.mlir --random 12 --tile-program --shape 1,4,2,1100,1100,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/nsa.mlir --random 13 --tile-program --shape 1,2,1,1,1333,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/nsa.mlir --random 14 --tile-program --shape 2,2,2,64,64,8 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/nsa.mlir --random 15 --tile-program --element-type bf16 --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/nsa.mlir --random 16 --tile-program --portable-tiles --shape 1,2,1,77,77,16 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
