// The O(N) forms of linear attention (attn-to-tile with linear-chunk > 0)
// become the linear-attention kernel: one block per (batch, head, slice of
// value columns), the state in shared memory, the chunks in order.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64}))' | FileCheck %s
// The automatic chunk: the largest of 64, 32, 16, 8 that fits.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu))' | FileCheck %s --check-prefix=AUTO
// A budget that D = 128 fits only with chunks of 16 and 32 value columns.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu{max-shared-bytes=40000}))' | FileCheck %s --check-prefix=SMALL
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64}))' | FileCheck %s --check-prefix=TC
// 16-bit inputs without tensor cores: the chunk's products as SIMT loops.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64 use-tensor-cores=false}))' | FileCheck %s --check-prefix=SIMT
// The GPU pipelines take these forms, and the CPU view runs them.
// RUN: attn-opt %s -split-input-file --attn-gpu-on-cpu="tile-q=8 tile-kv=8 threads=32" | FileCheck %s --check-prefix=CPU

// Causal ELU+1 with the l1 denominator, GQA: chunked.
// CHECK-LABEL: func.func @chunked_elu_l1
// CHECK-SAME: attn.gpu.linear_chunk = 16 : i64, attn.gpu.linear_columns = 12 : i64
// CHECK-NOT: attn_tile.
// The blocks: B x Hq x 1 slice of 12 value columns.
// CHECK: scf.forall (%{{.*}}) in (4) {
// Q, K (one padding column), V and O with the column of ones (12 + 1), the
// chunk's scores, the state [D, 13].
// CHECK-DAG: memref.alloc() : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.alloc() : memref<16x9xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.alloc() : memref<16x13xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.alloc() : memref<16x17xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.alloc() : memref<8x13xf32, #gpu.address_space<workgroup>>
// State zeroed, then the chunks in order.
// CHECK: scf.forall (%{{.*}}) in (64) {
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %c40{{.*}} step %c16
// Loads: phi = elu + 1 on Q and K.
// CHECK: scf.forall
// CHECK: math.exp
// CHECK: } {mapping = [#gpu.thread<x>]}
// Scores below the diagonal, output, state update, store: four stages.
// CHECK: scf.forall
// CHECK: arith.cmpi ule
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall
// CHECK: } {mapping = [#gpu.thread<x>]}
// The store divides by the weight sum (column 12), 0 for a row without.
// CHECK: scf.forall
// CHECK: arith.cmpf one
// CHECK: arith.divf
// CHECK: memref.store {{.*}} : memref<1x4x40x12xf32>
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: } {attn.gpu.linear_chunk = 16 : i64, attn.gpu.shared_bytes = {{[0-9]+}} : i64, attn.gpu.threads = 64 : i64, mapping = [#gpu.block<x>]}
// AUTO-LABEL: func.func @chunked_elu_l1
// AUTO-SAME: attn.gpu.linear_chunk = 64 : i64
// CPU-LABEL: llvm.func @chunked_elu_l1
func.func @chunked_elu_l1(%q: tensor<1x4x40x8xf32>, %k: tensor<1x2x40x8xf32>,
                          %v: tensor<1x2x40x12xf32>) -> tensor<1x4x40x12xf32> {
  %o = attn.attention %q, %k, %v feature_map(#attn.feature_map<elu_plus_one>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x4x40x8xf32>, tensor<1x2x40x8xf32>, tensor<1x2x40x12xf32> -> tensor<1x4x40x12xf32>
  return %o : tensor<1x4x40x12xf32>
}

// -----

// Lightning-style decay per head (no map, no denominator), bf16 inputs: f32
// arithmetic, log(lambda) once per block, exp of (distance x log lambda);
// the chunk's two products on tensor cores (warp-level 16x8x16 contractions
// of bf16 copies of phi(q), phi(k), V and the decayed scores P, f32
// accumulation), the state's products in f32.
// CHECK-LABEL: func.func @chunked_decay_bf16
// TC-LABEL: func.func @chunked_decay_bf16
// TC-SAME: attn.gpu.tensor_cores
// TC-COUNT-4: memref.alloc() : memref<16x24xbf16, #gpu.address_space<workgroup>>
// S = Q K^T into the f32 scores (stride C + 2), P = decayed S below the
// diagonal in bf16, O = P V.
// TC: scf.forall (%{{.*}}) in (2) {
// TC: vector.contract {{.*}} vector<16x16xbf16>, vector<8x16xbf16> into vector<16x8xf32>
// TC: } {attn.gpu.warp_mma}
// TC: } {mapping = [#gpu.warp<x>]}
// TC: arith.truncf {{.*}} : f32 to bf16
// TC: vector.contract {{.*}} vector<16x16xbf16>, vector<16x8xbf16> into vector<16x8xf32>
// TC: } {mapping = [#gpu.warp<x>]}
// TC-NOT: vector.contract
// TC-LABEL: func.func @chunked_token_decay
// SIMT-LABEL: func.func @chunked_decay_bf16
// SIMT-NOT: attn.gpu.tensor_cores
// SIMT-NOT: vector.contract
// SIMT-LABEL: func.func @global_relu
// CHECK: scf.forall (%{{.*}}) in (2) {
// CHECK: %[[LAMBDA:.*]] = tensor.extract %{{.*}} : tensor<1x2x1xbf16>
// CHECK: %[[EXT:.*]] = arith.extf %[[LAMBDA]] : bf16 to f32
// CHECK: %[[LOG:.*]] = math.log %[[EXT]] : f32
// No ones column without l1: V, O and the state have 16 columns.
// CHECK-DAG: memref.alloc() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.alloc() : memref<16x17xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for
// CHECK: arith.uitofp
// CHECK: arith.mulf %{{.*}}, %[[LOG]] : f32
// CHECK: math.exp2
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: memref.store {{.*}} : memref<1x2x33x16xbf16>
// CPU-LABEL: llvm.func @chunked_decay_bf16
func.func @chunked_decay_bf16(%q: tensor<1x2x33x16xbf16>, %a: tensor<1x2x1xbf16>)
    -> tensor<1x2x33x16xbf16> {
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x1xbf16>) mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x33x16xbf16>, tensor<1x2x33x16xbf16>, tensor<1x2x33x16xbf16> -> tensor<1x2x33x16xbf16>
  return %o : tensor<1x2x33x16xbf16>
}

// -----

// Mamba-2's data-dependent decay (one per key position): the chunk's log
// decays into L [C][1] (0 past Nk), one thread sums them (L[i] = the log
// decays of the chunk's keys 0..i), the scores times exp(L[i] - L[j]), then
// Q and K rescaled in place (exp(L[i]), exp(L[n-1] - L[j])), the state's
// part without a further factor, the old state times exp(L[n-1]).
// CHECK-LABEL: func.func @chunked_token_decay
// CHECK: scf.forall (%{{.*}}) in (2) {
// CHECK-NOT: math.log
// CHECK: %[[L:.*]] = memref.alloc() : memref<16x1xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %c33{{.*}} step %c16
// CHECK: scf.forall
// CHECK: tensor.extract %{{.*}} : tensor<1x2x33xf32>
// CHECK: math.log
// CHECK: memref.store %{{.*}}, %[[L]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall (%[[T:.*]]) in (1) {
// CHECK: scf.for {{.*}} iter_args
// CHECK: memref.load %[[L]]
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[L]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// Scores: exp(L[i] - L[j]) below the diagonal.
// CHECK: scf.forall
// CHECK: arith.cmpi ule
// CHECK: math.fma
// CHECK: %[[LI:.*]] = memref.load %[[L]]
// CHECK: %[[LJ:.*]] = memref.load %[[L]]
// CHECK: arith.subf %[[LI]], %[[LJ]] : f32
// CHECK: math.exp2
// CHECK: } {mapping = [#gpu.thread<x>]}
// The factors of Q and K, in place.
// CHECK: scf.forall
// CHECK: math.exp2
// CHECK: memref.store {{.*}} : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK: math.exp2
// CHECK: memref.store {{.*}} : memref<16x9xf32, #gpu.address_space<workgroup>>
// CHECK: } {mapping = [#gpu.thread<x>]}
// Output: no exponential.
// CHECK: scf.forall
// CHECK-NOT: math.exp2
// CHECK: } {mapping = [#gpu.thread<x>]}
// State: the old state decayed over the chunk.
// CHECK: scf.forall
// CHECK: memref.load %[[L]]
// CHECK: math.exp2
// CHECK: } {mapping = [#gpu.thread<x>]}
// CPU-LABEL: llvm.func @chunked_token_decay
func.func @chunked_token_decay(%q: tensor<1x2x33x8xf32>, %a: tensor<1x2x33xf32>)
    -> tensor<1x2x33x8xf32> {
  %o = attn.attention %q, %q, %q decay(%a : tensor<1x2x33xf32>) mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x33x8xf32>, tensor<1x2x33x8xf32>, tensor<1x2x33x8xf32> -> tensor<1x2x33x8xf32>
  return %o : tensor<1x2x33x8xf32>
}

// -----

// GLA's gates per key channel, bf16: L [C][D], one thread per channel sums
// its column; the scores are the CPU's direct form (each channel's term
// times exp(L[i][x] - L[j][x]), SIMT from the f32 tiles), so on tensor
// cores only P V is a contraction.
// CHECK-LABEL: func.func @chunked_channel_gates_bf16
// After S (stride C + 2): O and the state (16 x 16), then L (also 16 x
// 16), before the 16-bit copies.
// CHECK: memref.alloc() : memref<16x18xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: memref.alloc() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: memref.alloc() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[L:.*]] = memref.alloc() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: memref.alloc() : memref<16x24xbf16
// CHECK: tensor.extract %{{.*}} : tensor<1x2x33x16xbf16>
// CHECK: math.log
// CHECK: scf.forall (%{{.*}}) in (16) {
// CHECK: memref.load %[[L]]
// CHECK: arith.addf
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall
// CHECK: arith.cmpi ule
// CHECK: scf.for
// CHECK: %[[LI:.*]] = memref.load %[[L]]
// CHECK: %[[LJ:.*]] = memref.load %[[L]]
// CHECK: arith.subf %[[LI]], %[[LJ]] : f32
// CHECK: math.exp2
// CHECK: math.fma
// CHECK: } {mapping = [#gpu.thread<x>]}
// TC-LABEL: func.func @chunked_channel_gates_bf16
// TC-SAME: attn.gpu.tensor_cores
// TC-NOT: vector.contract {{.*}} vector<8x16xbf16>
// TC: arith.truncf {{.*}} : f32 to bf16
// TC: vector.contract {{.*}} vector<16x16xbf16>, vector<16x8xbf16> into vector<16x8xf32>
// TC-NOT: vector.contract
// TC-LABEL: func.func @global_relu
// CPU-LABEL: llvm.func @chunked_channel_gates_bf16
func.func @chunked_channel_gates_bf16(%q: tensor<1x2x33x16xbf16>, %g: tensor<1x2x33x16xbf16>)
    -> tensor<1x2x33x16xbf16> {
  %o = attn.attention %q, %q, %q decay(%g : tensor<1x2x33x16xbf16>) mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x33x16xbf16>, tensor<1x2x33x16xbf16>, tensor<1x2x33x16xbf16> -> tensor<1x2x33x16xbf16>
  return %o : tensor<1x2x33x16xbf16>
}

// -----

// Hedgehog (F = 6, 12 features): the raw Q and K rows [C][D] first, then a
// stage of the features (the head's projection W x + b, exp of it and of
// its negation) into Q [C][12] and K [C][13]; the state has 12 rows (and
// the ones column: [12, 9]).
// CHECK-LABEL: func.func @chunked_hedgehog
// CHECK-DAG: %[[QF:.*]] = memref.alloc() : memref<16x12xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[KF:.*]] = memref.alloc() : memref<16x13xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.alloc() : memref<12x9xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[QRAW:.*]] = memref.alloc() : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[KRAW:.*]] = memref.alloc() : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for
// CHECK: scf.forall
// CHECK: memref.store %{{.*}}, %[[QRAW]]
// CHECK: memref.store %{{.*}}, %[[KRAW]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall
// CHECK: tensor.extract %{{.*}} : tensor<2x6xf32>
// CHECK: tensor.extract %{{.*}} : tensor<2x6x8xf32>
// CHECK: memref.load %[[QRAW]]
// CHECK: arith.negf
// CHECK: math.exp2
// CHECK: memref.store %{{.*}}, %[[QF]]
// CHECK: memref.load %[[KRAW]]
// CHECK: arith.negf
// CHECK: math.exp2
// CHECK: memref.store %{{.*}}, %[[KF]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CPU-LABEL: llvm.func @chunked_hedgehog
func.func @chunked_hedgehog(%q: tensor<1x2x20x8xf32>, %w: tensor<2x6x8xf32>, %b: tensor<2x6xf32>) -> tensor<1x2x20x8xf32> {
  %o = attn.attention %q, %q, %q
       feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<2x6x8xf32>, tensor<2x6xf32>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x2x20x8xf32>, tensor<1x2x20x8xf32>, tensor<1x2x20x8xf32> -> tensor<1x2x20x8xf32>
  return %o : tensor<1x2x20x8xf32>
}

// -----

// GSA's readout: the row softmax of the queries (a stage of row maxima and
// 1 / sums [C][2], then the features), the keys as loaded; a gate per key
// channel.
// CHECK-LABEL: func.func @chunked_softmax_queries
// CHECK: %[[STATS:.*]] = memref.alloc() : memref<16x2xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall
// CHECK: arith.maximumf
// CHECK: math.exp2
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[STATS]]
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[STATS]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall
// CHECK: memref.load %[[STATS]]
// CHECK: math.exp2
// CHECK: memref.load %[[STATS]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CPU-LABEL: llvm.func @chunked_softmax_queries
func.func @chunked_softmax_queries(%s: tensor<1x2x20x8xf32>, %k: tensor<1x2x20x8xf32>,
                                   %v: tensor<1x2x20x8xf32>, %a: tensor<1x2x20x8xf32>) -> tensor<1x2x20x8xf32> {
  %o = attn.attention %s, %k, %v decay(%a : tensor<1x2x20x8xf32>)
       feature_map(#attn.feature_map<softmax, keys = identity>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x20x8xf32>, tensor<1x2x20x8xf32>, tensor<1x2x20x8xf32> -> tensor<1x2x20x8xf32>
  return %o : tensor<1x2x20x8xf32>
}

// -----

// No mask: the global form. Every key chunk into the state, then every
// query chunk reads it: two loops, no score tile.
// CHECK-LABEL: func.func @global_relu
// CHECK-NOT: memref<16x17xf32
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c50{{.*}} step %c16
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c20{{.*}} step %c16
// CHECK: memref.store {{.*}} : memref<1x2x20x12xf32>
// CPU-LABEL: llvm.func @global_relu
func.func @global_relu(%q: tensor<1x2x20x8xf32>, %k: tensor<1x2x50x8xf32>,
                       %v: tensor<1x2x50x12xf32>) -> tensor<1x2x20x12xf32> {
  %o = attn.attention %q, %k, %v feature_map(#attn.feature_map<relu>)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x20x8xf32>, tensor<1x2x50x8xf32>, tensor<1x2x50x12xf32> -> tensor<1x2x20x12xf32>
  return %o : tensor<1x2x20x12xf32>
}

// -----

// D = Dv = 128: the state [128, 64] of one half of the value columns per
// block (two blocks per head), chunks of 32 in 99 KiB; with a 40000-byte
// budget, chunks of 16 and 32 columns (four blocks per head).
// CHECK-LABEL: func.func @wide
// CHECK-SAME: attn.gpu.linear_columns = 64 : i64
// CHECK: scf.forall (%{{.*}}) in (4) {
// CHECK: memref.alloc() : memref<128x64xf32, #gpu.address_space<workgroup>>
// AUTO-LABEL: func.func @wide
// AUTO-SAME: attn.gpu.linear_chunk = 32 : i64, attn.gpu.linear_columns = 64 : i64
// SMALL-LABEL: func.func @wide
// SMALL-SAME: attn.gpu.linear_chunk = 16 : i64, attn.gpu.linear_columns = 32 : i64
// SMALL: scf.forall (%{{.*}}) in (8) {
func.func @wide(%q: tensor<1x2x100x128xf32>) -> tensor<1x2x100x128xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<elu_plus_one>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x100x128xf32>, tensor<1x2x100x128xf32>, tensor<1x2x100x128xf32> -> tensor<1x2x100x128xf32>
  return %o : tensor<1x2x100x128xf32>
}
