// The zoo specs live in zoo/, outside the test tree; this file parses and
// verifies each one and checks its function signature (q, k, v first, one
// func per file) and its mask and score modifications.

// RUN: attn-opt %zoo/basics/causal.mlir | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-opt %zoo/basics/sliding_window.mlir | FileCheck %s --check-prefix=SWA
// RUN: attn-opt %zoo/basics/streaming_llm.mlir | FileCheck %s --check-prefix=STREAM
// RUN: attn-opt %zoo/basics/alibi.mlir | FileCheck %s --check-prefix=ALIBI
// RUN: attn-opt %zoo/hybrids/gemma2.mlir | FileCheck %s --check-prefix=GEMMA2
// RUN: attn-opt %zoo/hybrids/gemma2_global.mlir | FileCheck %s --check-prefix=GEMMA2G
// RUN: attn-opt %zoo/linear/efficient_attention.mlir | attn-opt | FileCheck %s --check-prefix=EFFICIENT

// CAUSAL-LABEL: func.func @causal(
// CAUSAL-SAME: %[[Q:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[K:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[V:[a-z0-9_]+]]: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
// CAUSAL: attn.attention %[[Q]], %[[K]], %[[V]] mask(#attn.causal) : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
// CAUSAL-NOT: func.func

// SWA-LABEL: func.func @sliding_window(
// SWA-SAME: %[[Q:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[K:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[V:[a-z0-9_]+]]: tensor<?x?x?x?xf32>)
// SWA: attn.attention %[[Q]], %[[K]], %[[V]] mask(#attn.and<[#attn.causal, #attn.window<left = 4095, right = 0>]>) :
// SWA-NOT: func.func

// STREAM-LABEL: func.func @streaming_llm(
// STREAM-SAME: %[[Q:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[K:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[V:[a-z0-9_]+]]: tensor<?x?x?x?xf32>)
// STREAM: attn.attention %[[Q]], %[[K]], %[[V]] mask(#attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>, #attn.window<left = 1999, right = 0>]>]>) :
// STREAM-NOT: func.func

// ALIBI-LABEL: func.func @alibi(
// ALIBI-SAME: %[[Q:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[K:[a-z0-9_]+]]: tensor<?x?x?x?xf32>, %[[V:[a-z0-9_]+]]: tensor<?x?x?x?xf32>)
// ALIBI: attn.attention %[[Q]], %[[K]], %[[V]] mask(#attn.causal) score_mods([#attn.alibi]) :
// ALIBI-NOT: alibi_slopes
// ALIBI-NOT: func.func

// GEMMA2-LABEL: func.func @gemma2_local(
// GEMMA2-SAME: %[[Q:[a-z0-9_]+]]: tensor<?x?x?x?xbf16>, %[[K:[a-z0-9_]+]]: tensor<?x?x?x?xbf16>, %[[V:[a-z0-9_]+]]: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16>
// GEMMA2: attn.attention %[[Q]], %[[K]], %[[V]] mask(#attn.and<[#attn.causal, #attn.window<left = 4095, right = 0>]>) score_mods([#attn.softcap<5.000000e+01>]) :
// GEMMA2-NOT: func.func

// GEMMA2G-LABEL: func.func @gemma2_global(
// GEMMA2G-SAME: %[[Q:[a-z0-9_]+]]: tensor<?x?x?x?xbf16>, %[[K:[a-z0-9_]+]]: tensor<?x?x?x?xbf16>, %[[V:[a-z0-9_]+]]: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16>
// GEMMA2G: attn.attention %[[Q]], %[[K]], %[[V]] mask(#attn.causal) score_mods([#attn.softcap<5.000000e+01>]) :
// GEMMA2G-NOT: func.func

// A query map and a key map of their own print as one attribute.
// EFFICIENT-LABEL: func.func @efficient_attention(
// EFFICIENT: attn.attention %{{.*}}, %{{.*}}, %{{.*}} feature_map(<softmax, keys = sequence_softmax>) normalization(<identity>) scale(1.000000e+00) :
// EFFICIENT-NOT: func.func
