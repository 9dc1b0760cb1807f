// Zoo wave 2, Y05 Flux Attention in part: one layer computed both ways,
// full causal attention and the sparse (sinks + 256-key window) attention,
// combined by the router's per-sequence gates [B, 1, 1] (attn.gated_sum;
// the runner draws the gates in [0, 1] with a quarter of them 0, so some
// sequences take one branch only). Against the float64 reference of the
// whole function: lengths that are not multiples of the tiles and longer
// than the window, GQA, two sequences with their own routes, a decode step
// (one query token), bf16, the portable tiles, and the untiled lowering
// (neither branch has a selection, so both lower without the tile program).
// The GPU library emitter refuses a multi-branch spec by name.

// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 1 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 2 --tile-program --shape 2,4,2,700,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 3 --tile-program --shape 3,2,2,257,257,8 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 4 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 5 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,130,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 6 --tile-program --element-type bf16 --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 7 --tile-program --portable-tiles --shape 2,2,1,77,77,16 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 8 --untiled --shape 1,2,1,130,333,16 --check | FileCheck %s --check-prefix=UNTILED
// RUN: attn-run %zoo/hybrids/flux_attention.mlir --random 9 --untiled --shape 2,4,2,1,300,16 --check | FileCheck %s --check-prefix=UNTILED
// UNTILED: path untiled
// UNTILED: check output {{.*}} PASS

// RUN: not attn-emit-lib %zoo/hybrids/flux_attention.mlir --arch sm_80 -o %t --shape 1,2,1,64,64,16 2>&1 | FileCheck %s --check-prefix=GPU
// GPU: error: {{.*}}flux_attention.mlir: 'flux_attention': a multi-branch spec (attn.merge, attn.gated_sum, attn.pool_blocks) has no GPU lowering yet
