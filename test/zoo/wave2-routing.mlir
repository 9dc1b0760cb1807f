// Zoo wave 2, routing and retrieval (ZOO.md P06 MoSA, P07 Routing
// Transformer in part, P21 Landmark Attention's retrieval in part, P10
// SparseD's sparse steps in part): checked
// against the float64 reference at lengths that are not multiples of the
// tiles or blocks, one token, and rows that see no key.

// MoSA: the top 64 tokens per (b, head) by the router score r (given gate,
// one-token blocks, causal = false), causal on the original positions, the
// rows scaled by r (the same operand), the rows of unselected tokens 0
// (select_queries). The runner draws r uniform in [0, 1) with a quarter of
// the entries 0 (ties among them keep the lower index; a selected row with
// r = 0 is 0). Lengths above k (300, 200: not
// multiples of the tiles), below k (37: every token kept), one token;
// tiles smaller and larger than the blocks.
// RUN: attn-run %zoo/selection/mosa.mlir --random 1 --tile-program --shape 1,2,2,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/mosa.mlir --random 2 --tile-program --shape 2,4,4,256,256,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/mosa.mlir --random 3 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/mosa.mlir --random 4 --tile-program --shape 1,2,2,37,37,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/mosa.mlir --random 5 --tile-program --shape 1,1,1,1,1,16 --check | FileCheck %s
// The portable lowering, 8 lanes, bf16 (tolerance 1e-2):
// RUN: attn-run %zoo/selection/mosa.mlir --random 6 --tile-program --portable-tiles --shape 1,2,2,130,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/mosa.mlir --random 7 --tile-program --vector-width 8 --element-type bf16 --shape 1,2,2,130,130,16 --check | FileCheck %s
// r is the router score of the key for the selection and of the query for
// the gate: Nq != Nk, and GQA (one score row per key head), are refused.
// RUN: not attn-run %zoo/selection/mosa.mlir --random 8 --tile-program --shape 1,2,2,1,300,16 2>&1 | FileCheck %s --check-prefix=MOSA-DECODE
// MOSA-DECODE: mosa.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op output_gate dimension 2 (query length) is 300 but must be 1
// RUN: not attn-run %zoo/selection/mosa.mlir --random 8 --tile-program --shape 1,4,2,30,30,16 2>&1 | FileCheck %s --check-prefix=MOSA-GQA
// MOSA-GQA: mosa.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op block_scores dimension 1 (key heads) is 4 but must be 1 or 2

// Routing Transformer: per-head query and key clusters in [0, 3] and a
// per-head local flag (window 256) as captures, causal. Lengths not
// multiples of the tiles, GQA, a decode step (the window counts from the
// aligned position), Nq < Nk, one token, rows whose cluster holds no
// earlier key (0).
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 11 --shape 1,4,4,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 12 --shape 2,4,2,512,512,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 13 --tile-q 16 --tile-kv 24 --shape 1,4,2,77,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 14 --shape 1,4,4,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 15 --shape 1,2,2,1,1,16 --check | FileCheck %s
// The portable lowering, 8 lanes, bf16, split-KV, the untiled lowering:
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 16 --portable-tiles --shape 1,4,4,130,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 17 --vector-width 8 --element-type bf16 --shape 1,4,4,130,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 18 --split-kv 3 --shape 1,4,4,130,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/routing_transformer.mlir --random 19 --untiled --shape 1,4,4,130,130,16 --check | FileCheck %s

// Landmark: top-5 blocks of 50 by their last (landmark) key, the current
// block kept, landmark keys not attended, causal. Lengths that are not
// multiples of the blocks or tiles, GQA, a decode step, Nq > Nk (early rows
// see nothing), tiles straddling the blocks, portable, bf16.
// RUN: attn-run %zoo/selection/landmark.mlir --random 21 --tile-program --shape 1,2,1,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/landmark.mlir --random 22 --tile-program --shape 2,4,2,500,500,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/landmark.mlir --random 23 --tile-program --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/landmark.mlir --random 24 --tile-program --tile-q 16 --tile-kv 24 --shape 1,2,2,400,270,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/landmark.mlir --random 25 --tile-program --portable-tiles --shape 1,2,1,333,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/landmark.mlir --random 26 --tile-program --vector-width 8 --element-type bf16 --shape 1,2,1,260,260,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/landmark.mlir --random 27 --tile-program --shape 1,1,1,1,1,16 --check | FileCheck %s

// SparseD: a per-(b, head) block pattern of 64 x 64 blocks as an operand
// (the runner keeps the diagonal blocks and half of the others), non-causal.
// Lengths not multiples of the blocks or tiles, GQA, Nq > Nk (seed 33 has
// an empty query-block row: 0), Nq < Nk, a decode step; the portable
// lowering, bf16 at 8 lanes, split-KV, the tiled and untiled lowerings.
// RUN: attn-run %zoo/selection/sparsed.mlir --random 31 --shape 1,2,2,300,300,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 32 --shape 2,4,2,256,256,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 33 --shape 1,2,2,300,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 34 --tile-q 16 --tile-kv 24 --shape 1,4,2,130,700,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 35 --shape 1,2,1,1,513,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 36 --portable-tiles --shape 1,2,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 37 --vector-width 8 --element-type bf16 --shape 1,2,2,200,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 39 --untiled --shape 1,2,2,130,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/sparsed.mlir --random 40 --split-kv 3 --shape 1,2,2,130,333,16 --check | FileCheck %s

// CHECK: check output {{.*}} PASS
