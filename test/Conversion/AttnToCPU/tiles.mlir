// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(convert-attn-to-cpu{work-partition=1})' | FileCheck %s
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-q=16 tile-kv=32 vector-width=16})' | FileCheck %s --check-prefix=W16

// Causal 128 x 128 with 32 x 64 tiles: query tiles 0 and 1 visit key tile 0
// (partial); tiles 2 and 3 visit key tile 0 (full, code 1) and key tile 1
// (partial, code 2). The work order is heaviest first.
// CHECK-DAG: memref.global "private" constant @__attn_tiles : memref<6xi32> = dense<[0, 0, 1, 2, 1, 2]>
// CHECK-DAG: memref.global "private" constant @__attn_tile_offsets : memref<5xi32> = dense<[0, 1, 2, 4, 6]>
// CHECK-DAG: memref.global "private" constant @__attn_work_order : memref<4xi32> = dense<[2, 3, 0, 1]>
// CHECK-LABEL: func.func @causal
// CHECK-SAME:    %[[BEGIN:[a-z0-9]+]]: index, %[[END:[a-z0-9]+]]: index)
// CHECK-SAME:    attn.num_work_items = 4
// CHECK:         scf.for %{{.*}} = %[[BEGIN]] to %[[END]]
// The S^T micro-kernel: 3 key rows x 4 query vectors of 8 lanes.
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:           vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK:           math.fma %{{.*}} : vector<8xf32>
// Mask code runs only for partial tiles (or tiles past the sequence end).
// CHECK:         scf.if
// CHECK:           arith.cmpi sle
// CHECK:           arith.select
// Online softmax, vertical over key rows.
// CHECK:         arith.maximumf %{{.*}} : vector<8xf32>
// CHECK:         math.exp %{{.*}} : vector<8xf32>
// CHECK:         bufferization.to_tensor
func.func @causal(%q: tensor<1x1x128x16xf32>, %k: tensor<1x1x128x16xf32>, %v: tensor<1x1x128x16xf32>) -> tensor<1x1x128x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32> -> tensor<1x1x128x16xf32>
  return %o : tensor<1x1x128x16xf32>
}

// W16-LABEL: func.func @causal
// W16:         vector<16xf32>

// -----

// A sliding window of 16 keys over 256 tokens with 32 x 64 tiles: far tiles
// are never listed (each query tile visits at most two key tiles).
// CHECK-DAG: memref.global "private" constant @__attn_tile_offsets : memref<9xi32> = dense<[0, 1, 2, 4, 5, 7, 8, 10, 11]>
// CHECK-LABEL: func.func @window
func.func @window(%q: tensor<1x2x256x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x16xf32>) -> tensor<1x2x256x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.and<[#attn.causal, #attn.window<left = 15, right = 0>]>)
       : tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32> -> tensor<1x2x256x16xf32>
  return %o : tensor<1x2x256x16xf32>
}

// -----

// Two functions in one module get distinct schedule tables.
// CHECK-DAG: memref.global "private" constant @__attn_work_order :
// CHECK-DAG: memref.global "private" constant @__attn_work_order_{{[0-9]+}} :
// CHECK-LABEL: func.func @first
// CHECK-LABEL: func.func @second
func.func @first(%q: tensor<1x1x64x8xf32>, %k: tensor<1x1x64x8xf32>, %v: tensor<1x1x64x8xf32>) -> tensor<1x1x64x8xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) : tensor<1x1x64x8xf32>, tensor<1x1x64x8xf32>, tensor<1x1x64x8xf32> -> tensor<1x1x64x8xf32>
  return %o : tensor<1x1x64x8xf32>
}
func.func @second(%q: tensor<1x1x64x8xf32>, %k: tensor<1x1x64x8xf32>, %v: tensor<1x1x64x8xf32>) -> tensor<1x1x64x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x1x64x8xf32>, tensor<1x1x64x8xf32>, tensor<1x1x64x8xf32> -> tensor<1x1x64x8xf32>
  return %o : tensor<1x1x64x8xf32>
}

// -----

// Dynamic shapes are left for convert-attn-to-loops.
// CHECK-LABEL: func.func @dynamic
// CHECK:         attn.attention
// CHECK-NOT:     memref.global
func.func @dynamic(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
