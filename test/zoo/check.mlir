// Every zoo spec compiled for the CPU and checked against the float64
// reference on random inputs, at a small default size and at sizes that are
// not multiples of any tile size (Nq != Nk included).

// RUN: attn-run %zoo/basics/causal.mlir --random 1 --check | FileCheck %s
// RUN: attn-run %zoo/basics/causal.mlir --random 2 --shape 2,4,2,33,70,24 --check | FileCheck %s
// RUN: attn-run %zoo/basics/sliding_window.mlir --random 3 --check | FileCheck %s
// RUN: attn-run %zoo/basics/sliding_window.mlir --random 4 --shape 1,2,1,131,131,16 --check | FileCheck %s
// RUN: attn-run %zoo/basics/streaming_llm.mlir --random 5 --check | FileCheck %s
// RUN: attn-run %zoo/basics/streaming_llm.mlir --random 6 --shape 1,2,2,1,77,32 --check | FileCheck %s
// RUN: attn-run %zoo/basics/alibi.mlir --random 7 --check | FileCheck %s
// RUN: attn-run %zoo/basics/alibi.mlir --random 8 --shape 1,6,3,45,45,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/gemma2.mlir --random 9 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/gemma2.mlir --random 10 --shape 1,4,2,99,99,32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/gemma2_global.mlir --random 11 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/gemma2_global.mlir --random 12 --shape 2,2,1,17,65,64 --check | FileCheck %s
// Query tiles wider than one micro-kernel pass (4 vectors): a loop over full
// groups (64 = 2 x 4 x 8 lanes) and an unrolled partial group (40 = 4 + 1).
// RUN: attn-run %zoo/basics/causal.mlir --random 13 --shape 1,4,2,150,201,24 --tile-q 64 --tile-kv 32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/gemma2.mlir --random 14 --shape 1,4,2,99,99,32 --tile-q 40 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
