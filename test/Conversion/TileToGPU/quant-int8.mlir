// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile,convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64}))' | FileCheck %s
// Pre-quantized INT8 Q K^T (i8 Q and K with scale operands, P V in the
// value's float type) on the SIMT kernel: i8 Q and K tiles in shared memory
// (K rows padded by one word) with one f32 scale per row, -128 read as -127
// and rows past the sequence 0 with scale 0 (attn_tile.load_quantized), the
// exact i32 dot product of the i8 rows (4-byte aligned vector<4xi8> words
// when D is a multiple of 4, else bytes), then f32(dot) * sq * sk * scale
// (attn_tile.quantized_scores),
// then the online softmax of a float spec. Tensor cores are asked for (the
// default) but the kernel stays SIMT for i8: no vector.contract.

// Query scales per (head, block of 16 tokens), key scales per token; causal.
// CHECK-LABEL: func.func @int8
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: tensor<1x2x37x16xi8>, %[[K:[a-z0-9]+]]: tensor<1x1x37x16xi8>, %{{.*}}: tensor<1x1x37x16xf32>, %[[SQ:[a-z0-9]+]]: tensor<1x2x3xf32>, %[[SK:[a-z0-9]+]]: tensor<1x1x37xf32>
// CHECK-NOT:     attn.gpu.async_copies
// CHECK-NOT:     attn.gpu.tensor_cores
// CHECK-DAG:     %[[QM:.*]] = bufferization.to_buffer %[[Q]] read_only : tensor<1x2x37x16xi8> to memref<1x2x37x16xi8>
// CHECK-DAG:     %[[KM:.*]] = bufferization.to_buffer %[[K]] read_only : tensor<1x1x37x16xi8> to memref<1x1x37x16xi8>
// CHECK-DAG:     %[[SQM:.*]] = bufferization.to_buffer %[[SQ]] read_only : tensor<1x2x3xf32> to memref<1x2x3xf32>
// CHECK-DAG:     %[[SKM:.*]] = bufferization.to_buffer %[[SK]] read_only : tensor<1x1x37xf32> to memref<1x1x37xf32>
// CHECK:         scf.forall (%{{.*}}) in (6) {
// The i8 tiles (K padded by one word) and their row scales.
// CHECK:           %[[QS:.*]] = memref.alloc() : memref<16x16xi8, #gpu.address_space<workgroup>>
// CHECK:           %[[KS:.*]] = memref.alloc() : memref<16x20xi8, #gpu.address_space<workgroup>>
// CHECK:           %[[QSC:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[KSC:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// The Q tile and its scales in one stage: values clamped to -127, 0 past
// the sequence; the scale of the row's block (extent-1 batch broadcast).
// CHECK:           scf.forall (%{{.*}}) in (64) {
// CHECK:             %[[QV:.*]] = memref.load %[[QM]][{{.*}}] : memref<1x2x37x16xi8>
// CHECK:             %[[QC:.*]] = arith.maxsi %[[QV]], %{{.*}} : i8
// CHECK:             %[[QZ:.*]] = arith.select %{{.*}}, %[[QC]], %{{.*}} : i8
// CHECK:             memref.store %[[QZ]], %[[QS]]
// CHECK:             %[[QB:.*]] = arith.divui %{{.*}}, %c16{{.*}} : index
// CHECK:             %[[QSV:.*]] = memref.load %[[SQM]][%c0{{.*}}, %{{.*}}, %[[QB]]] : memref<1x2x3xf32>
// CHECK:             %[[QSZ:.*]] = arith.select %{{.*}}, %[[QSV]], %{{.*}} : f32
// CHECK:             memref.store %[[QSZ]], %[[QSC]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// The key loop: the K tile and its per-token scales (batch and head
// broadcast), then the scores.
// CHECK:           scf.for
// CHECK:             scf.forall (%{{.*}}) in (64) {
// CHECK:               memref.load %[[KM]][{{.*}}] : memref<1x1x37x16xi8>
// CHECK:               arith.maxsi %{{.*}}, %{{.*}} : i8
// CHECK:               memref.store %{{.*}}, %[[KS]]
// CHECK:               memref.load %[[SKM]][%c0{{.*}}, %c0{{.*}}, %{{.*}}] : memref<1x1x37xf32>
// CHECK:               memref.store %{{.*}}, %[[KSC]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK:             scf.forall (%{{.*}}) in (64) {
// D = 16: 4 words of 4 bytes.
// CHECK:               %[[DOT:.*]] = scf.for %[[W:.*]] = %c0{{.*}} to %c4{{.*}} step %c1{{.*}} iter_args(%[[ACC:.*]] = %c0_i32) -> (i32) {
// CHECK:                 %[[X:.*]] = arith.muli %[[W]], %c4{{.*}} : index
// CHECK:                 %[[A:.*]] = vector.load %[[QS]][%{{.*}}, %[[X]]] {alignment = 4 : i64} : memref<16x16xi8, #gpu.address_space<workgroup>>, vector<4xi8>
// CHECK:                 %[[B:.*]] = vector.load %[[KS]][%{{.*}}, %[[X]]] {alignment = 4 : i64} : memref<16x20xi8, #gpu.address_space<workgroup>>, vector<4xi8>
// CHECK:                 %[[AI:.*]] = arith.extsi %[[A]] : vector<4xi8> to vector<4xi32>
// CHECK:                 %[[BI:.*]] = arith.extsi %[[B]] : vector<4xi8> to vector<4xi32>
// CHECK:                 %[[P:.*]] = arith.muli %[[AI]], %[[BI]] : vector<4xi32>
// CHECK:                 %[[SUM:.*]] = vector.reduction <add>, %[[P]], %[[ACC]] : vector<4xi32> into i32
// CHECK:                 scf.yield %[[SUM]] : i32
// CHECK:               %[[SQI:.*]] = memref.load %[[QSC]]
// CHECK:               %[[SKJ:.*]] = memref.load %[[KSC]]
// CHECK:               %[[F:.*]] = arith.sitofp %[[DOT]] : i32 to f32
// CHECK:               %[[S1:.*]] = arith.mulf %[[F]], %[[SQI]] : f32
// CHECK:               %[[S2:.*]] = arith.mulf %[[S1]], %[[SKJ]] : f32
// CHECK:               arith.mulf %[[S2]], %cst{{.*}} : f32
// CHECK-NOT:     vector.contract
// CHECK-NOT:     attn_tile.
func.func @int8(%q: tensor<1x2x37x16xi8>, %k: tensor<1x1x37x16xi8>, %v: tensor<1x1x37x16xf32>,
                %sq: tensor<1x2x3xf32>, %sk: tensor<1x1x37xf32>) -> tensor<1x2x37x16xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x2x3xf32>) k_scale(%sk : tensor<1x1x37xf32>)
       mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 16>)
       : tensor<1x2x37x16xi8>, tensor<1x1x37x16xi8>, tensor<1x1x37x16xf32> -> tensor<1x2x37x16xf32>
  return %o : tensor<1x2x37x16xf32>
}

// -----

// One query scale for the tensor (every index broadcast), bf16 key scales
// per block of 7 keys widened to f32, bf16 V; D = 18: the dot product
// reads bytes.
// CHECK-LABEL: func.func @key_blocks_bf16
// CHECK:         memref.alloc() : memref<16x18xi8, #gpu.address_space<workgroup>>
// CHECK:         memref.alloc() : memref<16x22xi8, #gpu.address_space<workgroup>>
// CHECK:         scf.forall (%{{.*}}) in (64) {
// CHECK:           arith.maxsi %{{.*}}, %{{.*}} : i8
// CHECK:           memref.load %{{.*}}[%c0{{.*}}, %c0{{.*}}, %c0{{.*}}] : memref<1x1x1xf32>
// CHECK:         scf.for
// CHECK:           arith.divui %{{.*}}, %c7{{.*}} : index
// CHECK:           %[[KB:.*]] = memref.load %{{.*}} : memref<1x2x6xbf16>
// CHECK:           arith.extf %[[KB]] : bf16 to f32
// CHECK:           scf.for %{{.*}} = %c0{{.*}} to %c18{{.*}} step %c1{{.*}} iter_args(%{{.*}} = %c0_i32) -> (i32) {
// CHECK:             memref.load %{{.*}} : memref<16x18xi8, #gpu.address_space<workgroup>>
// CHECK:             memref.load %{{.*}} : memref<16x22xi8, #gpu.address_space<workgroup>>
// CHECK:             arith.extsi %{{.*}} : i8 to i32
// CHECK:           arith.sitofp %{{.*}} : i32 to f32
func.func @key_blocks_bf16(%q: tensor<1x2x40x18xi8>, %k: tensor<1x2x40x18xi8>, %v: tensor<1x2x40x8xbf16>,
                           %sq: tensor<1x1x1xf32>, %sk: tensor<1x2x6xbf16>) -> tensor<1x2x40x8xbf16> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<1x2x6xbf16>)
       quantization(#attn.quantized_qk<scheme = int8, k_block = 7>)
       : tensor<1x2x40x18xi8>, tensor<1x2x40x18xi8>, tensor<1x2x40x8xbf16> -> tensor<1x2x40x8xbf16>
  return %o : tensor<1x2x40x8xbf16>
}
