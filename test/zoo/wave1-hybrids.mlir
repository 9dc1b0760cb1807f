// Zoo wave 1, hybrids (ZOO.md Y01, Gemma 2): the local (sliding window 4096)
// and global layers, bf16, at sizes that are not multiples of the 32 x 64
// tiles; with 4200 tokens the local window (4096) is exercised.
// (test/zoo/check.mlir covers them at other sizes.)

// RUN: attn-run %zoo/hybrids/gemma2.mlir --random 1 --shape 2,4,2,77,77,32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/gemma2.mlir --random 2 --shape 1,2,1,4200,4200,8 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/gemma2_global.mlir --random 3 --shape 1,4,2,100,100,32 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
