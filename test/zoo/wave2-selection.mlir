// Zoo wave 2, pooling and selection (ZOO.md P01 MoBA, P02 FlashMoBA, P03
// VMoBA in part, P14 ADEM-VL's per-token drop, P15 DMA's value-derived key
// scores, P16 ProxyAttn's proxy heads, P19 BiFormer's region routing, P20
// SeerAttention's learned gate, P22 FlexPrefill's query-aware selection, P13 Select and Pack in part):
// checked against the
// float64 reference, which pools the keys, ranks the gates and selects the
// blocks itself, at lengths that are not multiples of the 64-key blocks or
// the tiles, GQA, a decode step (Nq 1 < Nk), Nq > Nk (early queries have
// no eligible block: rows of 0), tiles smaller and larger than the block.
// Lowered through the tile program only (`path tile program`); --split-kv
// is accepted and ignored (a selection is its own key-tile list).

// RUN: attn-run %zoo/selection/moba.mlir --random 1 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/moba.mlir --random 2 --tile-program --shape 2,4,2,200,200,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/moba.mlir --random 3 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/moba.mlir --random 4 --tile-program --shape 1,2,1,300,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/moba.mlir --random 5 --tile-program --shape 1,2,2,37,37,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/moba.mlir --random 6 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,257,257,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/moba.mlir --random 7 --tile-program --tile-kv 128 --split-kv 3 --shape 1,2,1,333,333,16 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS

// FlashMoBA: MoBA with 16-key blocks, k = 4; lengths not multiples of the
// blocks or tiles, GQA, a decode step, Nq < Nk.
// RUN: attn-run %zoo/selection/flashmoba.mlir --random 11 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/flashmoba.mlir --random 12 --tile-program --shape 2,4,2,256,256,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/flashmoba.mlir --random 13 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/flashmoba.mlir --random 14 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,1,77,700,16 --check | FileCheck %s

// FlexPrefill: per query block of 128, cumulative mass 0.9 (the pooled
// queries are shared by the rows of a query block across query tiles);
// 128-multiples and not, GQA, a decode step, Nq < Nk and Nq > Nk.
// RUN: attn-run %zoo/selection/flexprefill.mlir --random 21 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/flexprefill.mlir --random 22 --tile-program --shape 2,4,2,512,512,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/flexprefill.mlir --random 23 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/flexprefill.mlir --random 24 --tile-program --tile-q 48 --tile-kv 40 --shape 1,2,2,77,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/flexprefill.mlir --random 25 --tile-program --tile-q 16 --shape 1,2,1,400,270,16 --check | FileCheck %s

// SeerAttention: a learned gate on [max, min, mean]-pooled keys and
// mean-pooled queries per query block of 64 (random projections Wq, Wk of
// gate width D), top-4 blocks; 64-multiples and not, GQA, a decode step,
// Nq < Nk, tiles that straddle the query blocks.
// RUN: attn-run %zoo/selection/seerattention.mlir --random 31 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/seerattention.mlir --random 32 --tile-program --shape 2,4,2,512,512,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/seerattention.mlir --random 33 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/seerattention.mlir --random 34 --tile-program --tile-q 48 --tile-kv 40 --shape 1,2,2,77,700,16 --check | FileCheck %s

// ProxyAttn: 2 proxy heads (pooled groups of query and key heads), per
// query block of 64, cumulative mass 0.9; 64-multiples and not, GQA and
// MHA, a decode step, Nq < Nk; heads that 2 does not divide are refused.
// RUN: attn-run %zoo/selection/proxyattn.mlir --random 41 --tile-program --shape 1,4,2,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/proxyattn.mlir --random 42 --tile-program --shape 2,4,4,512,512,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/proxyattn.mlir --random 43 --tile-program --shape 1,8,2,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/proxyattn.mlir --random 44 --tile-program --tile-q 48 --tile-kv 40 --shape 1,4,2,77,700,16 --check | FileCheck %s
// RUN: not attn-run %zoo/selection/proxyattn.mlir --random 45 --tile-program --shape 1,2,1,64,64,16 2>&1 | FileCheck %s --check-prefix=PROXY
// PROXY: proxyattn.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op selection proxy_heads = 2 must divide the key heads (1)

// BiFormer: non-causal region routing (causal = false, keep_current =
// false), regions of 16 per query and key block, top-4; 16-multiples and
// not (the last region partial), one head (BiFormer's shared routing),
// GQA, tiles that straddle the regions, Nq != Nk, one query token.
// RUN: attn-run %zoo/selection/biformer.mlir --random 51 --tile-program --shape 1,1,1,196,196,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/biformer.mlir --random 52 --tile-program --shape 2,4,2,256,256,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/biformer.mlir --random 53 --tile-program --tile-q 24 --tile-kv 40 --shape 1,2,2,203,203,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/biformer.mlir --random 54 --tile-program --shape 1,2,1,100,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/biformer.mlir --random 55 --tile-program --shape 1,2,1,300,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/biformer.mlir --random 56 --tile-program --shape 1,2,1,1,77,16 --check | FileCheck %s

// ADEM-VL: per text token, the top 230 vision tokens (one-key blocks,
// causal = false): fewer vision tokens than k (all kept), more (300 and
// 513, not multiples of the tiles), GQA, one text token.
// RUN: attn-run %zoo/selection/adem_vl.mlir --random 61 --tile-program --shape 1,2,2,77,256,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/adem_vl.mlir --random 62 --tile-program --shape 1,2,2,40,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/adem_vl.mlir --random 63 --tile-program --shape 2,4,2,77,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/adem_vl.mlir --random 64 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s

// VMoBA (in part): per query block of 128, cumulative mass 0.5 over every
// key block (causal = false); 128-multiples and not, GQA, tiles that
// straddle the query blocks, Nq != Nk, one query token.
// RUN: attn-run %zoo/selection/vmoba.mlir --random 71 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/vmoba.mlir --random 72 --tile-program --shape 2,4,2,512,512,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/vmoba.mlir --random 73 --tile-program --tile-q 48 --tile-kv 40 --shape 1,2,2,200,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/vmoba.mlir --random 74 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s

// DMA: the top 128 keys per key head by the caller's delta (gate = given,
// one-key blocks, causal = false), delta also as the bias, then causal;
// lengths above w (not multiples of the tiles), below w (all keys), GQA,
// one query token.
// RUN: attn-run %zoo/selection/dma.mlir --random 81 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/dma.mlir --random 82 --tile-program --shape 2,4,2,256,256,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/dma.mlir --random 83 --tile-program --tile-q 24 --tile-kv 40 --shape 1,2,2,100,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/dma.mlir --random 84 --tile-program --shape 1,2,1,1,333,16 --check | FileCheck %s

// Select and Pack (in part): the top 98 tokens of each image by the
// caller's gate scores [B, 1, N] (shared by the heads), non-causal; more
// tokens than k (196, 150: not multiples of the tiles), fewer (77: all
// kept), GQA, one query token.
// RUN: attn-run %zoo/selection/select_and_pack.mlir --random 91 --tile-program --shape 1,2,2,196,196,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/select_and_pack.mlir --random 92 --tile-program --tile-q 24 --tile-kv 40 --shape 2,4,2,150,150,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/select_and_pack.mlir --random 93 --tile-program --shape 1,2,1,1,77,16 --check | FileCheck %s

// The untiled lowering refuses a selection with a located diagnostic (the
// tile program is its only CPU lowering). The GPU lowers MoBA's form to
// three kernels (test/Target/PTX/selection.mlir), which the library runs
// from one launch call, the pooled keys, gates and selections in the
// caller's workspace; the forms the selection kernels lack are refused by
// name.
// RUN: not attn-run %zoo/selection/moba.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: rm -rf %t && attn-emit-lib %zoo/selection/moba.mlir -o %t | FileCheck %s --check-prefix=GPU
// RUN: FileCheck %s --check-prefix=GPUHEADER < %t/moba.h
// CPU: moba.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares a selection (#attn.topk_blocks): block selection is lowered through the tile program only
// GPU: wrote {{.*}}/moba.{h,c,json} and 1 PTX{{.*}} image(s): {{.*}}, 3 kernels, workspace {{[1-9][0-9]*}} B
// GPUHEADER: CUdeviceptr out, CUdeviceptr workspace, CUstream stream);
// RUN: not attn-run %zoo/selection/flexprefill.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=QBLOCK
// QBLOCK: flexprefill.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares a selection (#attn.topk_blocks): block selection is lowered through the tile program only
// RUN: not attn-run %zoo/selection/seerattention.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=SEER
// RUN: not attn-emit-lib %zoo/selection/seerattention.mlir -o %t 2>&1 | FileCheck %s --check-prefix=SEERGPU
// SEER: seerattention.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares a selection (#attn.topk_blocks): block selection is lowered through the tile program only
// SEERGPU: seerattention.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.pool_keys' op block selection by a learned gate has no GPU lowering yet
