// Tensor-core kernels (f16/bf16 inputs): Q, K and V in shared memory in
// the input type with padded rows, two warp-level stages of 16x8x16 tile
// products between the thread-level ones. By default (register-softmax) S,
// P and O are warp-private accumulator tiles and the softmax works on the
// accumulator layout (REG).
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=32 tile-kv=16 threads=64}))' | FileCheck %s --check-prefix=REG
// register-softmax=false: S (f32) and P in shared memory, one thread per row
// for the softmax, O in the accumulator tiles.
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=32 tile-kv=16 threads=64 register-softmax=false}))' | FileCheck %s
// accumulator-fragments=false: O in shared memory, read and written by the
// P V stage's tiles, rescaled by a thread-level stage.
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=32 tile-kv=16 threads=64 accumulator-fragments=false}))' | FileCheck %s --check-prefix=SHAREDO
// The option off, f16 takes the SIMT kernel (f32 tiles, no contraction).
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=32 tile-kv=16 threads=64 use-tensor-cores=false}))' | FileCheck %s --check-prefix=SIMT
// Automatic tiles for D = 128 in bf16 with double-buffered K/V: 64x32
// (64x64 is not a tensor-core candidate), 54016 bytes (no S, P or O).
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))' | FileCheck %s --check-prefix=AUTO
// The CPU form: the warp stage is sequential loops over transfer_read /
// vector.contract / transfer_write with the operands widened to f32.
// RUN: attn-opt %s --attn-gpu-on-cpu="tile-q=32 tile-kv=16 threads=64" | FileCheck %s --check-prefix=CPU

// CHECK-LABEL: func.func @causal_f16
// D = 24 is padded to 32 (+8: 40), Dv = 12 to 16 (+8: 24), S has Bk + 2
// columns, P Bk + 8. K and V are double-buffered (2 x 16 rows).
// CHECK:         scf.forall
// CHECK-DAG:       %[[QS:.*]] = memref.alloc() : memref<32x40xf16, #gpu.address_space<workgroup>>
// CHECK-DAG:       %[[KS:.*]] = memref.alloc() : memref<32x40xf16, #gpu.address_space<workgroup>>
// CHECK-DAG:       %[[VS:.*]] = memref.alloc() : memref<32x24xf16, #gpu.address_space<workgroup>>
// CHECK-DAG:       %[[SS:.*]] = memref.alloc() : memref<32x18xf32, #gpu.address_space<workgroup>>
// CHECK-DAG:       %[[PS:.*]] = memref.alloc() : memref<32x24xf16, #gpu.address_space<workgroup>>
// O: 2 warps x 2 of the (32/16) x (16/8) accumulator tiles.
// CHECK-DAG:       %[[OF:.*]] = memref.alloc() {attn.gpu.warp_private} : memref<2x2x16x8xf32>
// Per key tile: the next tile's copies (16-byte pieces of K: D = 24 is a
// multiple of 8; 8-byte pieces of V: Dv = 12 is not), then the wait for
// this tile's group (async-copies.mlir has the details). The Q tile joins
// the first key tile's copies (same 16-byte pieces as K).
// CHECK:           nvgpu.device_async_copy %{{.*}}, %[[QS]][%{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:           nvgpu.device_async_copy %{{.*}}, %[[KS]][%{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:           nvgpu.device_async_create_group
// CHECK:           scf.for %[[E:.*]] = %[[BEGIN:.*]] to
// CHECK:             %[[REL:.*]] = arith.subi %[[E]], %[[BEGIN]]
// CHECK:             %[[SLOT:.*]] = arith.remui %[[REL]], %c2
// CHECK:             %[[ROW0:.*]] = arith.muli %[[SLOT]], %c16
// CHECK:             nvgpu.device_async_copy %{{.*}}, %[[KS]][%{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:             nvgpu.device_async_copy %{{.*}}, %[[VS]][%{{.*}}, %{{.*}}], 4, %{{.*}} :
// CHECK:             nvgpu.device_async_wait
// S = Q K^T: 2 warps over the 2x2 output tiles, K steps of 16 over D = 32,
// K read from the current slot.
// CHECK:           scf.forall (%[[W:.*]]) in (2) {
// CHECK:             scf.for %[[T:.*]] = %[[W]] to %{{.*}} step %{{.*}} {
// CHECK:               %[[R:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK:               %[[C:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK:               %[[ACC:.*]] = scf.for %[[KK:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16x8xf32>) {
// CHECK:                 vector.transfer_read %[[QS]][%[[R]], %[[KK]]]{{.*}} vector<16x16xf16>
// CHECK:                 %[[KROW:.*]] = affine.apply #{{.*}}(%[[C]], %[[ROW0]])
// CHECK:                 vector.transfer_read %[[KS]][%[[KROW]], %[[KK]]]{{.*}} vector<8x16xf16>
// CHECK:                 vector.contract {{.*}} : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
// CHECK:               vector.transfer_write %[[ACC]], %[[SS]][%[[R]], %[[C]]]
// CHECK:             } {attn.gpu.warp_mma}
// CHECK:           } {mapping = [#gpu.warp<x>]}
// The scores are scaled in f32 (1/sqrt(24)); P is stored in f16 too.
// CHECK:           memref.load %[[SS]]
// CHECK:           arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           arith.truncf %{{.*}} : f32 to f16
// CHECK:           memref.store %{{.*}}, %[[PS]]
// O = alpha O in the accumulator layout (thread 32 w + lane scales what its
// lane holds: rows lane / 4 (+ 8), columns 2 (lane % 4) (+ 1) of warp w's
// tiles), then O += P V on warp w's tiles n = 0, 1 (V read as K x N: 16x8).
// CHECK:           scf.forall (%[[TID:.*]]) in (64) {
// CHECK:             %[[WARP:.*]] = arith.divui %[[TID]], %c32
// CHECK:             %[[LANE:.*]] = arith.remui %[[TID]], %c32
// CHECK:             %[[LROW:.*]] = arith.divui %[[LANE]], %c4
// CHECK:             memref.load %[[OF]][%[[WARP]], %c0{{.*}}, %[[LROW]], %{{.*}}]
// CHECK:             arith.mulf
// CHECK:             memref.store %{{.*}}, %[[OF]][%[[WARP]], %c0
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall (%[[W2:.*]]) in (2) {
// CHECK:             scf.for %[[N:.*]] = %c0{{.*}} to %c2{{.*}} step %c1
// CHECK:             vector.transfer_read %[[OF]][%[[W2]], %[[N]], %c0{{.*}}, %c0{{.*}}]{{.*}} vector<16x8xf32>
// CHECK:               vector.transfer_read %[[PS]]{{.*}} vector<16x16xf16>
// CHECK:               %[[VROW:.*]] = affine.apply #{{.*}}(%{{.*}}, %[[ROW0]])
// CHECK:               vector.transfer_read %[[VS]][%[[VROW]], %{{.*}}]{{.*}} vector<16x8xf16>
// CHECK:               vector.contract {{.*}} : vector<16x16xf16>, vector<16x8xf16> into vector<16x8xf32>
// CHECK:             vector.transfer_write %{{.*}}, %[[OF]][%[[W2]], %[[N]], %c0{{.*}}, %c0{{.*}}]
// CHECK:           } {mapping = [#gpu.warp<x>]}
// The output from the same layout: columns past Dv = 12 are padding.
// CHECK:           scf.forall (%{{.*}}) in (64) {
// CHECK:             memref.load %[[OF]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:       } {attn.gpu.async_copies, attn.gpu.shared_bytes = 10896 : i64, attn.gpu.tensor_cores, attn.gpu.threads = 64 : i64

// REG-LABEL: func.func @causal_f16
// The registers a thread keeps across stages: O 2 x 4, S 2 x 4, P 16 / 4
// (16-bit pairs), plus 96 (the occupancy hint's floor per thread).
// REG-SAME:      attn.gpu.min_registers = 116 : i64
// 2 warps, each one 16-row block: S (2 tiles of 16x8 per warp), P (16 x Bk
// per warp), O (2 tiles); each thread's row max and sum for its 2 rows; the
// exchange for the row max (64 threads x 2 rows, shared).
// REG-DAG:       %[[SF:.*]] = memref.alloc() {attn.gpu.warp_private} : memref<2x2x16x8xf32>
// REG-DAG:       %[[PF:.*]] = memref.alloc() {attn.gpu.warp_private} : memref<2x1x16x16xf16>
// REG-DAG:       %[[M:.*]] = memref.alloc() {attn.gpu.thread_private} : memref<64x2xf32>
// REG-DAG:       %[[X:.*]] = memref.alloc() {attn.gpu.lane_exchange} : memref<64x2xf32, #gpu.address_space<workgroup>>
// REG-NOT:       memref.alloc() : memref<32x18xf32
// S = Q K^T into warp w's tiles n (w owns tiles 2 w, 2 w + 1: its row block).
// REG:           scf.forall (%[[W:.*]]) in (2) {
// REG:             scf.for %[[N:.*]] = %c0{{.*}} to %c2{{.*}} step %c1
// REG:               vector.contract
// REG:             vector.transfer_write %{{.*}}, %[[SF]][%[[W]], %[[N]], %c0{{.*}}, %c0{{.*}}]
// REG:           } {mapping = [#gpu.warp<x>]}
// The scores in place, each thread's partial max of its rows to the
// exchange (row t).
// REG:           scf.forall (%[[T:.*]]) in (64) {
// REG:             memref.store %{{.*}}, %[[SF]]
// REG:             memref.store %{{.*}}, %[[X]][%[[T]], %c0{{.*}}]
// REG:             memref.store %{{.*}}, %[[X]][%[[T]], %c1{{.*}}]
// REG:           } {mapping = [#gpu.thread<x>]}
// The max over the quad (rows t xor 1, 2, 3), P, the sum, O times alpha.
// REG:           scf.forall (%[[T2:.*]]) in (64) {
// REG:             memref.load %[[X]][%[[T2]], %c0{{.*}}]
// REG:             %[[X1:.*]] = arith.xori %[[T2]], %c1{{.*}} : index
// REG:             memref.load %[[X]][%[[X1]], %c0{{.*}}]
// REG:             arith.xori %[[T2]], %c2{{.*}} : index
// REG:             arith.xori %[[T2]], %c3{{.*}} : index
// REG:             memref.store %{{.*}}, %[[M]][%[[T2]], %c0{{.*}}]
// REG:             arith.truncf %{{.*}} : f32 to f16
// REG:             memref.store %{{.*}}, %[[PF]]
// REG:           } {mapping = [#gpu.thread<x>]}
// P V with A from warp w's P.
// REG:           scf.forall (%[[W2:.*]]) in (2) {
// REG:               vector.transfer_read %[[PF]][%[[W2]], %{{.*}}, %c0{{.*}}, %{{.*}}]{{.*}} vector<16x16xf16>
// REG:               vector.contract {{.*}} : vector<16x16xf16>, vector<16x8xf16> into vector<16x8xf32>
// REG:           } {mapping = [#gpu.warp<x>]}
// After the key loop, the sums over each quad.
// REG:           memref.store %{{.*}}, %[[X]]
// REG:           arith.xori
// REG:       } {attn.gpu.async_copies, attn.gpu.shared_bytes = 7568 : i64

// SHAREDO-LABEL: func.func @causal_f16
// SHAREDO:         %[[OS:.*]] = memref.alloc() : memref<32x24xf32, #gpu.address_space<workgroup>>
// SHAREDO-NOT:     attn.gpu.warp_private
// SHAREDO:         scf.forall (%{{.*}}) in (2) {
// SHAREDO:           vector.transfer_read %[[OS]]{{.*}} vector<16x8xf32>
// SHAREDO:           vector.transfer_write %{{.*}}, %[[OS]]
// SHAREDO:         } {mapping = [#gpu.warp<x>]}
// SHAREDO:       } {attn.gpu.async_copies, attn.gpu.shared_bytes = 13968 : i64

// SIMT-LABEL: func.func @causal_f16
// SIMT-NOT:     vector.contract
// SIMT-NOT:     gpu.warp
// SIMT:         memref.alloc() : memref<16x25xf32, #gpu.address_space<workgroup>>
// SIMT-NOT:     attn.gpu.tensor_cores
// SIMT-LABEL: func.func @bf16_d128

// CPU-LABEL: llvm.func @causal_f16
// CPU-NOT:     vector.contract
// CPU-NOT:     unrealized_conversion_cast
// CPU:         llvm.fmul {{.*}} : vector<16xf32>
func.func @causal_f16(%q: tensor<1x2x37x24xf16>, %k: tensor<1x1x37x24xf16>,
                      %v: tensor<1x1x37x12xf16>) -> tensor<1x2x37x12xf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x37x24xf16>, tensor<1x1x37x24xf16>, tensor<1x1x37x12xf16> -> tensor<1x2x37x12xf16>
  return %o : tensor<1x2x37x12xf16>
}

// CHECK-LABEL: func.func @bf16_d128
// CHECK:         memref.alloc() : memref<32x136xbf16, #gpu.address_space<workgroup>>
// CHECK:         vector.contract {{.*}} : vector<16x16xbf16>, vector<8x16xbf16> into vector<16x8xf32>
// CHECK:         vector.contract {{.*}} : vector<16x16xbf16>, vector<16x8xbf16> into vector<16x8xf32>
// AUTO-LABEL: func.func @bf16_d128
// AUTO:         attn.gpu.async_copies, attn.gpu.shared_bytes = 54016 : i64, attn.gpu.tensor_cores, attn.gpu.threads = 128 : i64, attn.gpu.tile_kv = 32 : i64, attn.gpu.tile_q = 64 : i64
func.func @bf16_d128(%q: tensor<1x1x70x128xbf16>, %k: tensor<1x1x70x128xbf16>,
                     %v: tensor<1x1x70x128xbf16>) -> tensor<1x1x70x128xbf16> {
  %o = attn.attention %q, %k, %v
       : tensor<1x1x70x128xbf16>, tensor<1x1x70x128xbf16>, tensor<1x1x70x128xbf16> -> tensor<1x1x70x128xbf16>
  return %o : tensor<1x1x70x128xbf16>
}

// f32 inputs keep the SIMT kernel whatever the option says.
// CHECK-LABEL: func.func @f32_simt
// CHECK-NOT:     vector.contract
// CHECK-NOT:     attn.gpu.tensor_cores
// CHECK:         return
func.func @f32_simt(%q: tensor<1x1x20x16xf32>) -> tensor<1x1x20x16xf32> {
  %o = attn.attention %q, %q, %q
       : tensor<1x1x20x16xf32>, tensor<1x1x20x16xf32>, tensor<1x1x20x16xf32> -> tensor<1x1x20x16xf32>
  return %o : tensor<1x1x20x16xf32>
}


// A weight_mod under softmax: two passes over the key tiles, both with S in
// registers. Pass 1 (statistics) has no P V stage: one warp stage (Q K^T)
// per key tile; the quad sums meet after it; pass 2 writes the final
// weights into the warp's P and runs P V.
// REG-LABEL: func.func @weight_mod_two_passes
// REG-SAME:      attn.gpu.register_softmax
// REG:         scf.for
// REG:           scf.forall (%{{.*}}) in (2) {
// REG:           } {mapping = [#gpu.warp<x>]}
// REG-NOT:       mapping = [#gpu.warp<x>]
// REG:           math.exp2
// REG:         }
// REG:         arith.xori
// REG:         scf.for
// REG:           scf.forall (%{{.*}}) in (2) {
// REG:           } {mapping = [#gpu.warp<x>]}
// REG:           math.copysign
// REG:           memref.store %{{.*}}, %{{.*}} : memref<2x1x16x16xf16>
// REG:           scf.forall (%{{.*}}) in (2) {
// REG:             vector.contract {{.*}} : vector<16x16xf16>, vector<16x8xf16> into vector<16x8xf32>
// REG:           } {mapping = [#gpu.warp<x>]}
// REG:         }
func.func @weight_mod_two_passes(%q: tensor<1x2x37x16xf16>,
                                 %k: tensor<1x2x37x16xf16>,
                                 %v: tensor<1x2x37x16xf16>) -> tensor<1x2x37x16xf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %sw = math.copysign %w, %r : f32
         attn.yield %sw : f32
       }
       : tensor<1x2x37x16xf16>, tensor<1x2x37x16xf16>, tensor<1x2x37x16xf16> -> tensor<1x2x37x16xf16>
  return %o : tensor<1x2x37x16xf16>
}
