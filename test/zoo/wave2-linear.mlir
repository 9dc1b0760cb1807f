// Zoo wave 2, linear attention (ZOO.md L01, L02, L03, L04, L05, L06, L07, L10,
// L12 and L13 in part, Y03's two attention layers, and the linear transformer that
// L10/L12 build on): every spec checked against the float64 reference,
// which evaluates the quadratic form (phi(q) . phi(k) times the
// product of the decays, over the causal keys) directly, at sizes that are
// not multiples of the tiles, one token, a decode step (Nq 1 < Nk) and the
// split-KV form. Lowered through the tile program (`path tile program`):
// causal specs in the chunked O(N) form (chunks of 64 by default, 7 and 0 =
// the quadratic form on some lines).

// L02 Lightning Attention-2 (a decay constant per head, [1, H, 1]).
// RUN: attn-run %zoo/linear/lightning2.mlir --random 1 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning2.mlir --random 2 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning2.mlir --random 3 --tile-program --shape 1,2,2,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning2.mlir --random 11 --tile-program --linear-chunk 7 --shape 1,2,2,100,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning2.mlir --random 12 --tile-program --linear-chunk 0 --shape 1,2,2,100,100,16 --check | FileCheck %s
// L03 Mamba-2 SSD (a data-dependent decay per token and head, GQA-shared B and C).
// RUN: attn-run %zoo/linear/mamba2_ssd.mlir --random 4 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/mamba2_ssd.mlir --random 5 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/mamba2_ssd.mlir --random 6 --tile-program --shape 1,2,1,1,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/mamba2_ssd.mlir --random 7 --tile-program --split-kv 3 --shape 1,2,1,100,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/mamba2_ssd.mlir --random 13 --tile-program --linear-chunk 7 --shape 1,2,1,100,333,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/mamba2_ssd.mlir --random 14 --tile-program --linear-chunk 0 --shape 1,2,1,100,333,16 --check | FileCheck %s
// L07 FAST (second-order Taylor score, l1): no kernel declaration.
// RUN: attn-run %zoo/linear/fastmax.mlir --random 16 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/fastmax.mlir --random 17 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// L04 Hedgehog (learned exp feature map, 2F features from W [H, F, D] and
// b [H, F]; F = D for the random inputs, F != D in LinearAttentionNumericsTest).
// RUN: attn-run %zoo/linear/hedgehog.mlir --random 18 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/hedgehog.mlir --random 19 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/hedgehog.mlir --random 20 --tile-program --shape 1,2,2,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/hedgehog.mlir --random 21 --tile-program --linear-chunk 7 --shape 1,2,1,100,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/hedgehog.mlir --random 22 --tile-program --linear-chunk 0 --shape 1,2,1,100,133,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/hedgehog.mlir --random 23 --tile-program --element-type bf16 --shape 1,4,2,150,150,16 --check | FileCheck %s
// Y03 Based, its linear branch (taylor2: 1 + D + D^2 features).
// RUN: attn-run %zoo/linear/based_linear.mlir --random 24 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/based_linear.mlir --random 25 --tile-program --shape 1,2,1,200,200,8 --check | FileCheck %s
// RUN: attn-run %zoo/linear/based_linear.mlir --random 26 --tile-program --linear-chunk 0 --element-type bf16 --shape 1,2,1,100,100,16 --check | FileCheck %s
// Y03 Based, its sliding-window layer (causal softmax over the query and
// the 64 keys before it; Based mixes the two attention layers across the
// model's layers: zoo/hybrids/based_window.mlir), a window that crosses the
// 64-key tiles.
// RUN: attn-run %zoo/hybrids/based_window.mlir --random 32 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/based_window.mlir --random 33 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/hybrids/based_window.mlir --random 34 --tile-program --element-type bf16 --shape 1,2,2,1,130,16 --check | FileCheck %s
// Linear transformer (ELU+1 feature map, l1: the phi(q) . sum phi(k) denominator).
// RUN: attn-run %zoo/linear/linear_transformer.mlir --random 8 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/linear_transformer.mlir --random 9 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/linear_transformer.mlir --random 10 --tile-program --split-kv 3 --shape 1,2,1,1,200,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/linear_transformer.mlir --random 15 --tile-program --linear-chunk 7 --shape 1,2,1,150,100,16 --check | FileCheck %s
// L01 TransNormerLLM / Lightning (silu, a decay per head, no denominator,
// SRMSNorm times an element-wise gate: the epilogue in each chunk's
// finalization).
// RUN: attn-run %zoo/linear/lightning_tnl.mlir --random 18 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning_tnl.mlir --random 19 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning_tnl.mlir --random 20 --tile-program --shape 1,2,2,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning_tnl.mlir --random 21 --tile-program --linear-chunk 7 --shape 1,2,1,100,333,24 --check | FileCheck %s
// RUN: attn-run %zoo/linear/lightning_tnl.mlir --random 22 --tile-program --linear-chunk 0 --shape 1,2,2,100,100,16 --check | FileCheck %s
// GLA (a gate per token and key channel: rank-4 decay, RMSNorm times an
// element-wise gate), the base of L08; chunked (64, 7) and quadratic.
// RUN: attn-run %zoo/linear/gla.mlir --random 40 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/gla.mlir --random 41 --tile-program --shape 1,2,2,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/gla.mlir --random 42 --tile-program --linear-chunk 7 --element-type bf16 --shape 1,2,1,100,133,24 --check | FileCheck %s
// RUN: attn-run %zoo/linear/gla.mlir --random 43 --tile-program --linear-chunk 0 --shape 1,2,1,100,100,16 --check | FileCheck %s
// L08 Gated Slot Attention: its two passes (the slot scores, one head per
// slot with Dv = 1 and the slot's scalar decay; the readout, GLA over the
// slots with the softmax over them as the query map).
// RUN: attn-run %zoo/linear/gated_slot_scores.mlir --random 44 --tile-program --shape 2,8,2,77,77,16,1 --check | FileCheck %s
// RUN: attn-run %zoo/linear/gated_slot_readout.mlir --random 45 --tile-program --shape 2,2,2,77,77,8,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/gated_slot_readout.mlir --random 46 --tile-program --linear-chunk 0 --shape 1,2,2,1,1,8,16 --check | FileCheck %s
// L06 Efficient Attention (the row softmax on the queries, the softmax over
// the key sequence on the keys: one per-call map of all Nk keys before the
// work items; non-causal, so the quadratic form) and its 1/n scaling
// variant (K / Nk).
// RUN: attn-run %zoo/linear/efficient_attention.mlir --random 27 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/efficient_attention.mlir --random 28 --tile-program --shape 1,2,1,300,333,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/efficient_attention.mlir --random 29 --tile-program --element-type bf16 --shape 1,2,2,1,1,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/efficient_attention_scaled.mlir --random 30 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/efficient_attention_scaled.mlir --random 31 --tile-program --split-kv 3 --shape 1,2,1,100,333,32 --check | FileCheck %s
// L13 InLine, global part (relu, the subtractive normalization: weights
// phi(q).phi(k) - mean + 1/N; non-causal, the quadratic form with kept-key
// counts and value sums).
// RUN: attn-run %zoo/linear/inline_attn.mlir --random 23 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/inline_attn.mlir --random 24 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/inline_attn.mlir --random 25 --tile-program --shape 1,2,1,1,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/inline_attn.mlir --random 26 --tile-program --portable-tiles --shape 1,2,1,50,70,24 --check | FileCheck %s
// L10 MALA, its affine normalization and element-wise gate (ELU+1,
// weights (1 + 1/z) s - z/N with s = w/N; non-causal, quadratic form).
// RUN: attn-run %zoo/linear/mala.mlir --random 27 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/mala.mlir --random 28 --tile-program --shape 1,2,1,300,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/mala.mlir --random 29 --tile-program --portable-tiles --shape 1,2,1,1,70,24 --check | FileCheck %s
// L12 RALA (ELU+1, keys weighted by N softmax_j(q_bar . phi(k_j) / sqrt d)
// from the mean mapped query, l1, element-wise gate; the global O(N) form,
// 0 = the quadratic one), GQA, Nq != Nk, one token, bf16.
// RUN: attn-run %zoo/linear/rala.mlir --random 41 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/rala.mlir --random 42 --tile-program --linear-chunk 7 --shape 1,2,1,300,333,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/rala.mlir --random 43 --tile-program --linear-chunk 0 --shape 1,4,2,100,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/rala.mlir --random 44 --tile-program --element-type bf16 --shape 1,2,2,1,1,16 --check | FileCheck %s
// L05 Flowformer (sigmoid, conservation flows: keys weighted by the
// competition, rows by the allocation over the incoming flow).
// RUN: attn-run %zoo/linear/flowformer.mlir --random 45 --tile-program --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/flowformer.mlir --random 46 --tile-program --linear-chunk 7 --shape 1,2,1,300,333,32 --check | FileCheck %s
// RUN: attn-run %zoo/linear/flowformer.mlir --random 47 --tile-program --linear-chunk 0 --split-kv 3 --shape 1,4,2,100,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/linear/flowformer.mlir --random 48 --tile-program --element-type bf16 --shape 1,2,2,1,1,16 --check | FileCheck %s

// The untiled lowering refuses kernels with a located diagnostic (the tile
// program is their only CPU lowering); the GPU lowers the chunked and global
// forms with elementwise maps and a decay per head, per key position or per
// key channel (lightning2, the linear transformer, Mamba-2:
// test/Target/PTX/linear.mlir, GPULinearTest) and refuses the others, naming
// the form.
// RUN: not attn-run %zoo/linear/lightning2.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not attn-run %zoo/linear/linear_transformer.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=UNTILED
// RUN: rm -rf %t && attn-emit-lib %zoo/linear/mamba2_ssd.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: not attn-emit-lib %zoo/linear/flowformer.mlir -o %t 2>&1 | FileCheck %s --check-prefix=GPUFLOW

// A chunk size outside [0, 1024] is refused.
// RUN: not attn-run %zoo/linear/mamba2_ssd.mlir --random 1 --tile-program --linear-chunk -1 2>&1 | FileCheck %s --check-prefix=BADCHUNK
// BADCHUNK: linear-chunk must be in [0, 1024] (0: the quadratic form), got -1

// CHECK: path tile program
// CHECK: PASS
// CHECK-NOT: FAIL
// CPU: lightning2.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares a kernel (feature_map or decay): linear attention is lowered through the tile program only
// UNTILED: linear_transformer.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares a kernel
// GPUFLOW: flowformer.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn_tile.key_weights' op key weights (query_weighted, flow) has no GPU lowering yet
// GPU: wrote {{.*}}mamba2_ssd.{h,c,json} and 1 PTX + cubin image(s)
