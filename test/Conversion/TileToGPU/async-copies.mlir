// Double-buffered K/V tiles filled by asynchronous copies (cp.async), the
// default of convert-attn-to-gpu where the tiles are copied as is.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64 use-tensor-cores=false}))' | FileCheck %s
// Off: single buffers and plain loads and stores.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64 use-tensor-cores=false async-copies=false}))' | FileCheck %s --check-prefix=OFF
// The CPU form: the copies are plain loads and stores, zero past the end.
// RUN: attn-opt %s -split-input-file --attn-gpu-on-cpu="tile-q=16 tile-kv=16 threads=64 use-tensor-cores=false" | FileCheck %s --check-prefix=CPU

// Causal GQA, f32 (SIMT), Nk = 37: tiles of 16 keys. K rows have a padding
// column (17 floats), so K goes in 4-byte pieces; V rows (8 floats) in
// 16-byte pieces, which bypass L1.
// CHECK-LABEL: func.func @causal_gqa
// CHECK-SAME:    attn.gpu.async_copies
// CHECK-DAG:     %[[KS:.*]] = memref.alloc() : memref<32x17xf32, #gpu.address_space<workgroup>>
// CHECK-DAG:     %[[VS:.*]] = memref.alloc() : memref<32x8xf32, #gpu.address_space<workgroup>>
// Before the key loop: the first tile of the list, if any, into slot 0.
// CHECK:         %[[HAS_FIRST:.*]] = arith.cmpi ult, %[[BEGIN:.*]], %[[END:.*]] : index
// CHECK:         scf.forall (%[[T0:.*]]) in (64) {
// CHECK-NEXT:      scf.if %[[HAS_FIRST]] {
// CHECK:             scf.for %{{.*}} = %[[T0]] to %c256 step %c64 {
// Rows past Nk = 37 are zero-filled (0 source elements) from a clamped
// address.
// CHECK:               %[[IN:.*]] = arith.cmpi slt, %[[KJ:.*]], %c37 : index
// CHECK:               %[[N:.*]] = arith.select %[[IN]], %c1{{.*}}, %c0{{.*}} : index
// CHECK:               %[[ROW:.*]] = arith.addi %c0, %{{.*}} : index
// CHECK:               %[[KJC:.*]] = arith.minsi %[[KJ]], %c36 : index
// The key head of a query head of 2 with one K head: its GQA group.
// CHECK:               nvgpu.device_async_copy %{{.*}}[%{{.*}}, %[[HK:.*]], %[[KJC]], %{{.*}}], %[[KS]][%[[ROW]], %{{.*}}], 1, %[[N]] : memref<1x1x37x16xf32> to memref<32x17xf32, #gpu.address_space<workgroup>>
// CHECK:             scf.for %{{.*}} = %[[T0]] to %c32 step %c64
// CHECK:               nvgpu.device_async_copy %{{.*}}, %[[VS]][%{{.*}}, %{{.*}}], 4, %{{.*}} {bypassL1} : memref<1x1x37x8xf32> to memref<32x8xf32, #gpu.address_space<workgroup>>
// Every thread commits a group, the prologue does not wait.
// CHECK:           nvgpu.device_async_create_group
// CHECK-NOT:       nvgpu.device_async_wait
// CHECK:         } {mapping = [#gpu.thread<x>]}
// Per key tile: slot (e - begin) mod 2; the next tile (if any) into the
// other slot, then wait until only that group is in flight.
// CHECK:         scf.for %[[E:.*]] = %[[BEGIN]] to %[[END]] step %c1{{.*}} {
// CHECK:           %[[REL:.*]] = arith.subi %[[E]], %[[BEGIN]] : index
// CHECK:           %[[SLOT:.*]] = arith.remui %[[REL]], %c2{{.*}} : index
// CHECK:           %[[ROW0:.*]] = arith.muli %[[SLOT]], %c16{{.*}} : index
// CHECK:           %[[NEXT:.*]] = arith.addi %[[E]], %c1{{.*}} : index
// CHECK:           %[[HAS_NEXT:.*]] = arith.cmpi ult, %[[NEXT]], %[[END]] : index
// CHECK:           %[[OTHER:.*]] = arith.subi %c1{{.*}}, %[[SLOT]] : index
// CHECK:           %[[OTHER_ROW0:.*]] = arith.muli %[[OTHER]], %c16{{.*}} : index
// CHECK:           scf.forall (%{{.*}}) in (64) {
// CHECK-NEXT:        scf.if %[[HAS_NEXT]] {
// The list entry is clamped into the table (6 entries).
// CHECK:               arith.minsi %[[NEXT]], %c5 : index
// CHECK:                 arith.addi %[[OTHER_ROW0]], %{{.*}} : index
// CHECK:                 nvgpu.device_async_copy {{.*}}, %[[KS]]
// CHECK:                 nvgpu.device_async_copy {{.*}}, %[[VS]]
// CHECK:             %[[G:.*]] = nvgpu.device_async_create_group
// CHECK-NEXT:        nvgpu.device_async_wait %[[G]] {numGroups = 1 : i32}
// CHECK-NEXT:      } {mapping = [#gpu.thread<x>]}
// S = Q K^T reads K from the current slot, P V reads V from it.
// CHECK:           scf.forall
// CHECK:             %[[KROW:.*]] = arith.addi %[[ROW0]], %{{.*}} : index
// CHECK:             memref.load %[[KS]][%[[KROW]], %{{.*}}]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall
// CHECK:           } {mapping = [#gpu.thread<x>]}
// A partial tile probes the current slot's values (an excluded pair's
// 0 x NaN: GPULowering::probeValues) before P V.
// CHECK:           scf.if %{{.*}} -> (i1) {
// CHECK:             scf.forall
// CHECK:                 %[[PROW:.*]] = arith.addi %[[ROW0]], %{{.*}} : index
// CHECK:                 memref.load %[[VS]][%[[PROW]], %{{.*}}]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall
// CHECK:               %[[VROW:.*]] = arith.addi %[[ROW0]], %{{.*}} : index
// CHECK:               memref.load %[[VS]][%[[VROW]], %{{.*}}]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK-NEXT:    }
// CHECK:       attn.gpu.async_copies, attn.gpu.shared_bytes = 5520 : i64

// OFF-LABEL: func.func @causal_gqa
// OFF-NOT:     attn.gpu.async_copies
// OFF-NOT:     nvgpu.
// OFF-DAG:     memref.alloc() : memref<16x17xf32, #gpu.address_space<workgroup>>
// OFF-DAG:     memref.alloc() : memref<16x8xf32, #gpu.address_space<workgroup>>
// OFF-NOT:     nvgpu.
// OFF:         attn.gpu.shared_bytes = 3920 : i64

// CPU-LABEL: llvm.func @causal_gqa
// CPU-NOT:     nvgpu
// CPU-NOT:     cp.async
// CPU:         llvm.return
func.func @causal_gqa(%q: tensor<1x2x37x16xf32>, %k: tensor<1x1x37x16xf32>,
                      %v: tensor<1x1x37x8xf32>) -> tensor<1x2x37x8xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x37x16xf32>, tensor<1x1x37x16xf32>, tensor<1x1x37x8xf32>
         -> tensor<1x2x37x8xf32>
  return %o : tensor<1x2x37x8xf32>
}

// -----

// A weight_mod under softmax: two passes over the key tiles, each with its
// own first tile and double buffering; pass 1 copies K only.
// CHECK-LABEL: func.func @two_passes
// CHECK:         scf.forall (%{{.*}}) in (64) {
// CHECK:           nvgpu.device_async_copy {{.*}} to memref<32x17xf32
// CHECK-NOT:       nvgpu.device_async_copy
// CHECK:           nvgpu.device_async_create_group
// CHECK:         scf.for
// CHECK:           nvgpu.device_async_copy {{.*}} to memref<32x17xf32
// CHECK-NOT:       nvgpu.device_async_copy
// CHECK:           nvgpu.device_async_wait
// Pass 2: K and V.
// CHECK:         scf.forall (%{{.*}}) in (64) {
// CHECK:           nvgpu.device_async_copy {{.*}} to memref<32x17xf32
// CHECK:           nvgpu.device_async_copy {{.*}} to memref<32x8xf32
// CHECK:           nvgpu.device_async_create_group
// CHECK:         scf.for
// CHECK:           nvgpu.device_async_copy {{.*}} to memref<32x17xf32
// CHECK:           nvgpu.device_async_copy {{.*}} to memref<32x8xf32
// CHECK:           nvgpu.device_async_wait
func.func @two_passes(%q: tensor<1x1x37x16xf32>, %k: tensor<1x1x37x16xf32>,
                      %v: tensor<1x1x37x8xf32>) -> tensor<1x1x37x8xf32> {
  %o = attn.attention %q, %k, %v weight_mod {
       ^bb0(%w: f32, %s: f32, %b: index, %h: index, %i: index, %j: index):
         %x = arith.mulf %w, %w : f32
         attn.yield %x : f32
       } : tensor<1x1x37x16xf32>, tensor<1x1x37x16xf32>, tensor<1x1x37x8xf32>
         -> tensor<1x1x37x8xf32>
  return %o : tensor<1x1x37x8xf32>
}

// -----

// 16-bit inputs in the SIMT kernel are extended to f32 on load: no
// asynchronous copies.
// CHECK-LABEL: func.func @f16_simt
// CHECK-NOT:     nvgpu.
// CHECK-NOT:     attn.gpu.async_copies
// CHECK:         return
func.func @f16_simt(%q: tensor<1x1x20x16xf16>) -> tensor<1x1x20x16xf16> {
  %o = attn.attention %q, %q, %q
       : tensor<1x1x20x16xf16>, tensor<1x1x20x16xf16>, tensor<1x1x20x16xf16> -> tensor<1x1x20x16xf16>
  return %o : tensor<1x1x20x16xf16>
}
