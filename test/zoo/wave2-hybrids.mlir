// Zoo wave 2, hybrids. Y07 L2ViT's two layers: the ReLU linear global
// attention (the global O(N) form, and the quadratic one with chunk 0) and
// the 7 x 7 windows on a 14-wide token grid (a mask_fn; tile program and
// tiled path). Y04 Mega-chunk's attention: block-diagonal causal chunks of
// 128, a relative bias table and relu^2 in the score_mod, the identity
// normalization and an element-wise output gate (tile program), at lengths
// that are not multiples of the chunk or the tiles, across chunk boundaries
// (300 tokens), at one token and in bf16; square shapes only (the bias
// table is indexed by the query row's i - j, see the spec's header).

// RUN: attn-run %zoo/hybrids/mega.mlir --random 1 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/mega.mlir --random 2 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/mega.mlir --random 3 --tile-program --shape 1,2,2,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/mega.mlir --random 4 --tile-program --element-type bf16 --shape 1,2,1,200,200,16 --check | FileCheck %s

// RUN: attn-run %zoo/hybrids/l2vit_global.mlir --random 5 --tile-program --shape 2,4,2,196,196,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/l2vit_global.mlir --random 6 --tile-program --shape 1,2,2,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/l2vit_global.mlir --random 7 --tile-program --linear-chunk 0 --element-type bf16 --shape 1,2,1,50,196,32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/l2vit_window.mlir --random 8 --tile-program --shape 2,4,2,196,196,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/l2vit_window.mlir --random 9 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/l2vit_window.mlir --random 10 --shape 1,2,2,196,196,32 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
