// The SIMT kernel (f32 arithmetic throughout); tensor-cores.mlir has the
// tensor-core kernel that f16/bf16 get by default.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64 use-tensor-cores=false async-copies=false}))' | FileCheck %s

// Causal GQA, Nq = Nk = 37: 3 query tiles of 16 and 3 key tiles. The shared
// tile schedule becomes constant tables read in the block: the causal lower
// triangle is 6 tiles (kvTile * 2 + full), the diagonal ones partial.
// CHECK-LABEL: func.func @causal
// CHECK-SAME:    attn.gpu.tile_kv = 16 : i64, attn.gpu.tile_q = 16 : i64
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x2x37x8xf32>
// One block per work item (batch, head, query tile), heaviest first.
// CHECK:         scf.forall (%[[W:.*]]) in (6) {
// CHECK:           %[[ORDER:.*]] = arith.constant dense<[2, 5, 1, 4, 0, 3]> : tensor<6xi32>
// CHECK:           %[[OFFSETS:.*]] = arith.constant dense<[0, 1, 3, 6]> : tensor<4xi32>
// CHECK:           %[[TILES:.*]] = arith.constant dense<[0, 1, 2, 1, 3, 4]> : tensor<6xi32>
// CHECK:           %[[CLASS:.*]] = arith.constant dense<0> : tensor<2xi32>
// CHECK:           tensor.extract %[[ORDER]][%[[W]]]
// Shared memory: Q, K (padded), V, S/P (padded), m, l, alpha; O in
// registers: 16 x 8 elements over 64 threads, 2 per thread, row t of a
// thread-private buffer.
// CHECK:           %[[QS:.*]] = memref.alloc() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[KS:.*]] = memref.alloc() : memref<16x17xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[VS:.*]] = memref.alloc() : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[SS:.*]] = memref.alloc() : memref<16x17xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[OREGS:.*]] = memref.alloc() {attn.gpu.thread_private} : memref<64x2xf32>
// CHECK:           %[[M:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[L:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[ALPHA:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// With a mask: the list entry of the last key tile whose values held a NaN
// or an infinity (one i32, -1 at first).
// CHECK:           %[[NONFINITE:.*]] = memref.alloc() : memref<1xi32, #gpu.address_space<workgroup>>
// CHECK:           scf.forall (%{{.*}}) in (1) {
// CHECK:             memref.store %c-1{{.*}}, %[[NONFINITE]]
// Q tile: 256 elements over 64 threads, scaled by 1/sqrt(16).
// CHECK:           scf.forall (%[[T:.*]]) in (64) {
// CHECK:             scf.for %[[X:.*]] = %[[T]] to %{{.*}} step %{{.*}} {
// CHECK:               arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:               memref.store %{{.*}}, %[[QS]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall (%{{.*}}) in (16) {
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall (%[[T0:.*]]) in (64) {
// CHECK:             scf.for %[[K0:.*]] = %c0{{.*}} to %c2{{.*}} step %c1{{.*}} {
// CHECK:               memref.store %cst{{.*}}, %[[OREGS]][%[[T0]], %[[K0]]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// The key tiles of the work item's list.
// CHECK:           scf.for %[[E:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:             memref.store %{{.*}}, %[[KS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK:             memref.store %{{.*}}, %[[VS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// S = Q K^T; the mask only on partial tiles.
// CHECK:             scf.forall (%{{.*}}) in (64) {
// CHECK:               scf.for
// CHECK:                 math.fma
// CHECK:               scf.if %{{.*}} -> (i1) {
// CHECK:                 arith.cmpi sle
// CHECK:               memref.store %{{.*}}, %[[SS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// Online softmax, one thread per query row; exp as exp2(x * log2(e)). The
// row max and sum are four interleaved partial accumulators (independent
// dependency chains), combined pairwise after the loop.
// CHECK:             scf.forall (%[[I:.*]]) in (16) {
// CHECK:               %[[MAX:.*]]:4 = scf.for %{{.*}} = %c0{{.*}} to %c16{{.*}} step %c4{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
// CHECK-COUNT-4:         arith.maximumf
// CHECK:               }
// CHECK:               %[[M01:.*]] = arith.maximumf %[[MAX]]#0, %[[MAX]]#1
// CHECK:               %[[M23:.*]] = arith.maximumf %[[MAX]]#2, %[[MAX]]#3
// CHECK:               arith.maximumf %[[M01]], %[[M23]]
// CHECK:               scf.for %{{.*}} step %c4{{.*}} -> (f32, f32, f32, f32) {
// CHECK-COUNT-4:         math.exp2
// CHECK:               }
// CHECK:               memref.store %{{.*}}, %[[ALPHA]][%[[I]]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// A partial tile probes its values first (an excluded pair's weight is 0,
// but 0 x NaN is NaN): a thread that sees a NaN or an infinity writes the
// tile's entry.
// CHECK:             %[[EXCLUDING:.*]] = scf.if %{{.*}} -> (i1) {
// CHECK:               scf.forall (%{{.*}}) in (64) {
// CHECK:                 arith.cmpf uge
// CHECK:                 memref.store %{{.*}}, %[[NONFINITE]]
// CHECK:               } {mapping = [#gpu.thread<x>]}
// CHECK:               %[[FOUND:.*]] = memref.load %[[NONFINITE]]
// CHECK:               arith.cmpi eq, %[[FOUND]]
// O = alpha O + P V on the thread's own elements t + 64 k. On a tile whose
// values are not all finite (a uniform branch), the zero weights of the
// pairs the mask keeps become -0 (the mask evaluated where the weight is
// 0), and P V skips the weights that are +0: the excluded pairs.
// CHECK:             scf.if %[[EXCLUDING]] {
// CHECK:               scf.forall (%{{.*}}) in (64) {
// CHECK:                 arith.cmpf oeq
// CHECK:                 arith.constant -0.000000e+00 : f32
// CHECK:                 memref.store %{{.*}}, %[[SS]]
// CHECK:               } {mapping = [#gpu.thread<x>]}
// CHECK:               scf.forall (%{{.*}}) in (64) {
// CHECK:                   %[[FMA:.*]] = math.fma
// CHECK:                   arith.bitcast %{{.*}} : f32 to i32
// CHECK:                   arith.select %{{.*}}, %{{.*}}, %[[FMA]] : f32
// CHECK:               } {mapping = [#gpu.thread<x>]}
// CHECK:             } else {
// CHECK:               scf.forall (%[[T1:.*]]) in (64) {
// CHECK:                 scf.for %[[K1:.*]] = %c0{{.*}} to %c2{{.*}} step %c1{{.*}} {
// CHECK:                   %[[O:.*]] = memref.load %[[OREGS]][%[[T1]], %[[K1]]]
// CHECK:                   %[[A:.*]] = memref.load %[[ALPHA]]
// CHECK:                   arith.mulf %[[O]], %[[A]]
// CHECK:                   math.fma
// CHECK-NOT:               arith.select
// CHECK:                   memref.store %{{.*}}, %[[OREGS]][%[[T1]], %[[K1]]]
// CHECK:               } {mapping = [#gpu.thread<x>]}
// CHECK:             }
// CHECK:           }
// Per row, the output factor 1 / l (0 for empty rows) into alpha.
// CHECK:           scf.forall (%[[I:.*]]) in (16) {
// CHECK:             arith.cmpf one
// CHECK:             arith.divf
// CHECK:             memref.store %{{.*}}, %[[ALPHA]][%[[I]]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// Finalize: O times the row factor; rows past Nq are not written.
// CHECK:           scf.forall (%[[T2:.*]]) in (64) {
// CHECK:             scf.for %[[K2:.*]] = %c0{{.*}} to %c2{{.*}} step %c1{{.*}} {
// CHECK:             scf.if
// CHECK:               memref.load %[[OREGS]][%[[T2]], %[[K2]]]
// CHECK:               memref.load %[[ALPHA]]
// CHECK:               arith.mulf
// CHECK:               memref.store %{{.*}}, %[[OUT]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:         } {attn.gpu.shared_bytes = 3920 : i64, attn.gpu.threads = 64 : i64, attn.gpu.tile_kv = 16 : i64, attn.gpu.tile_q = 16 : i64, mapping = [#gpu.block<x>]}
// CHECK-NOT:     attn.attention
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT:     attn.attention
func.func @causal(%q: tensor<1x2x37x16xf32>, %k: tensor<1x1x37x16xf32>,
                  %v: tensor<1x1x37x8xf32>) -> tensor<1x2x37x8xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x37x16xf32>, tensor<1x1x37x16xf32>, tensor<1x1x37x8xf32>
         -> tensor<1x2x37x8xf32>
  return %o : tensor<1x2x37x8xf32>
}

// -----

// bf16 is widened on load and narrowed on store; no mask: no scf.if in the
// score stage; the softcap (tanh) applies to kept scores; lse = m + log(l),
// written per row with the output factor.
// CHECK-LABEL: func.func @bf16_softcap_lse
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x1x20x16xbf16>
// CHECK:         %[[LSE:.*]] = memref.alloc() : memref<1x1x20xf32>
// CHECK:         scf.forall
// CHECK:           arith.extf %{{.*}} : bf16 to f32
// CHECK:           scf.for
// CHECK:             scf.forall (%{{.*}}) in (64) {
// CHECK:               math.fma
// CHECK-NOT:           arith.cmpi sle
// CHECK:               scf.if %{{.*}} -> (f32) {
// CHECK:                 math.tanh
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall (%{{.*}}) in (16) {
// CHECK:             math.log
// CHECK:             memref.store %{{.*}}, %[[LSE]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall (%{{.*}}) in (64) {
// CHECK:             arith.truncf %{{.*}} : f32 to bf16
// CHECK:             memref.store %{{.*}}, %[[OUT]]
// CHECK:         } {{.*}}mapping = [#gpu.block<x>]}
func.func @bf16_softcap_lse(%q: tensor<1x1x20x16xbf16>, %k: tensor<1x1x20x16xbf16>,
                            %v: tensor<1x1x20x16xbf16>)
    -> (tensor<1x1x20x16xbf16>, tensor<1x1x20xf32>) {
  %o, %l = attn.attention %q, %k, %v score_mods([#attn.softcap<50.0>])
       : tensor<1x1x20x16xbf16>, tensor<1x1x20x16xbf16>, tensor<1x1x20x16xbf16>
         -> tensor<1x1x20x16xbf16>, tensor<1x1x20xf32>
  return %o, %l : tensor<1x1x20x16xbf16>, tensor<1x1x20xf32>
}
