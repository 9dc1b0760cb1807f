// The mapped kernel: one gpu.launch per attention op, blocks over the work
// items, 64 threads, shared tiles carved from dynamic shared memory, a
// barrier between stages where one writes a shared buffer the other
// touches (and at the end of the key loop); K and V double-buffered, the next
// tile's asynchronous copies started at the top of each key tile, after
// which each thread waits for the current tile's group before the barrier.
// RUN: attn-opt %s --attn-gpu-launch="tile-q=16 tile-kv=16 threads=64" | FileCheck %s --check-prefix=LAUNCH
// PTX for sm_80 and sm_90: shared memory declared as dynamic, barriers,
// ex2.approx for the softmax exponentials; a plain softmax needs no
// libdevice.
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=16 tile-kv=16 threads=64 chip=sm_80" | FileCheck %s --check-prefixes=PTX,SM80
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=16 tile-kv=16 threads=64 chip=sm_90" | FileCheck %s --check-prefixes=PTX,SM90
// With the CUDA toolkit, libdevice is linked for tanh and log, and the PTX
// assembles with its ptxas (gpu-module-to-binary format=bin runs it) for
// both architectures with the default tiles.
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_80" | FileCheck %s --check-prefix=LIBDEVICE %}
// The SIMT kernel's O accumulator (thread-private) stays in registers: no
// local memory with the test tiles or the default ones.
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=16 tile-kv=16 threads=64 chip=sm_80" | FileCheck %s --check-prefix=NOLOCAL
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_90" | FileCheck %s --check-prefix=NOLOCAL
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_80 format=bin" | FileCheck %s --check-prefix=BIN %}
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_90 format=bin" | FileCheck %s --check-prefix=BIN %}

// LAUNCH-LABEL: func.func @causal
// LAUNCH-SAME:    (%[[Q:.*]]: memref<1x2x37x16xf32>, %[[K:.*]]: memref<1x1x37x16xf32>, %[[V:.*]]: memref<1x1x37x8xf32>, %[[O:.*]]: memref<1x2x37x8xf32>)
// LAUNCH:         %[[SMEM:.*]] = arith.constant 5520 : i32
// LAUNCH:         gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c6, %{{.*}} = %c1, %{{.*}} = %c1) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c64, %{{.*}} = %c1, %{{.*}} = %c1) dynamic_shared_memory_size %[[SMEM]]
// LAUNCH:           %[[DYN:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// LAUNCH:           memref.view %[[DYN]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<16x16xf32, #gpu.address_space<workgroup>>
// LAUNCH:           %[[KS:.*]] = memref.view %[[DYN]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<32x17xf32, #gpu.address_space<workgroup>>
// LAUNCH:           %[[VS:.*]] = memref.view %[[DYN]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<32x8xf32, #gpu.address_space<workgroup>>
// LAUNCH-COUNT-4:   memref.view %[[DYN]]
// O in registers: each thread's 2 elements in its own array, indexed by
// constants (the loops over them unrolled).
// LAUNCH:           %[[OREGS:.*]] = memref.alloca() : memref<2xf32>
// LAUNCH:           %[[BID:.*]] = gpu.block_id x
// The work order, a constant table read in the kernel.
// LAUNCH:           %[[ORDER:.*]] = memref.get_global @__constant_6xi32 : memref<6xi32>
// LAUNCH:           memref.load %[[ORDER]][%[[BID]]]
// LAUNCH:           %[[TID:.*]] = gpu.thread_id x
// LAUNCH:           scf.for %{{.*}} = %[[TID]] to
// The first key tile's copies: a group, no wait. The stages before the key
// loop (Q, the row statistics, O, the copies) share no buffer: one barrier
// after them all.
// LAUNCH-NOT:       gpu.barrier
// LAUNCH:           nvgpu.device_async_copy %[[K]]{{.*}}, %[[KS]]
// LAUNCH:           nvgpu.device_async_copy %[[V]]{{.*}}, %[[VS]]
// LAUNCH:           nvgpu.device_async_create_group
// LAUNCH-NEXT:      gpu.barrier
// LAUNCH:           scf.for
// LAUNCH:             nvgpu.device_async_copy %[[K]]{{.*}}, %[[KS]]
// LAUNCH:             nvgpu.device_async_copy %[[V]]{{.*}}, %[[VS]]
// LAUNCH:             %[[G:.*]] = nvgpu.device_async_create_group
// LAUNCH-NEXT:        nvgpu.device_async_wait %[[G]] {numGroups = 1 : i32}
// LAUNCH-NEXT:        gpu.barrier
// LAUNCH:             gpu.barrier
// A partial tile's value probe (GPULowering::probeValues): one barrier, in
// its branch; full tiles keep four.
// LAUNCH:             scf.if %{{.*}} -> (i1) {
// LAUNCH:               arith.cmpf uge
// LAUNCH:               gpu.barrier
// LAUNCH-NEXT:          memref.load
// LAUNCH-NOT:           gpu.barrier
// LAUNCH:             } else {
// LAUNCH-NOT:           gpu.barrier
// LAUNCH:             }
// LAUNCH-NEXT:        gpu.barrier
// P V: where the probe found one, the kept zero weights marked -0 first
// (one barrier); the common branch has none.
// LAUNCH-NEXT:        scf.if %{{.*}} {
// LAUNCH:               gpu.barrier
// LAUNCH-NOT:           gpu.barrier
// LAUNCH:             } else {
// LAUNCH-NOT:           gpu.barrier
// LAUNCH:             gpu.barrier
// LAUNCH-NEXT:      }
// LAUNCH:           memref.load %[[OREGS]][%c1{{(_[0-9]+)?}}]
// LAUNCH:           memref.store %{{.*}}, %[[O]]
// Nothing follows the output stage: no barrier.
// LAUNCH-NOT:       gpu.barrier
// LAUNCH:           gpu.terminator
// LAUNCH-NOT:     scf.forall
// Only the tensor-core kernel's warp-private O remains an alloc here (its
// lanes' elements are known after attn-gpu-warp-mma-to-nvgpu, in the
// kernel: attn-gpu-privatize-warp-state).
// LAUNCH-NOT:     memref.alloc() :

// PTX-LABEL: gpu.binary @causal_kernel
// SM80-SAME:   chip = "sm_80"
// SM90-SAME:   chip = "sm_90"
// PTX-SAME:    assembly = "
// SM80-SAME:   .target sm_80
// SM90-SAME:   .target sm_90
// PTX-SAME:    .extern .shared .align 16 .b8 __dynamic_shmem__0[];
// PTX-SAME:    .global .align 64 .b8 __constant_6xi32[24] = {2, 0, 0, 0, 5,
// PTX-SAME:    .entry causal_kernel(
// K in 4-byte pieces (cached), V in 16-byte pieces (L2 only), both with a
// source size for the zero fill; the prologue's group, then per key tile
// the next group and the wait for all but it before the barrier.
// PTX-SAME:    cp.async.ca.shared.global [%rd{{[0-9]+}}], [%rd{{[0-9]+}}], 4, %r{{[0-9]+}};
// PTX-SAME:    cp.async.cg.shared.global [%rd{{[0-9]+}}+{{[0-9]+}}], [%rd{{[0-9]+}}], 16, %r{{[0-9]+}};
// PTX-SAME:    cp.async.commit_group;
// PTX-SAME:    bar.sync
// PTX-SAME:    cp.async.commit_group;
// PTX-SAME:    cp.async.wait_group \091;
// PTX-SAME:    bar.sync
// PTX-SAME:    ex2.approx.f32
// PTX-NOT:     .extern .func
// PTX:       gpu.binary @softcap_kernel
// PTX-SAME:    .entry softcap_kernel(

// NOLOCAL:       gpu.binary @causal_kernel
// NOLOCAL-NOT:   __local_depot
// NOLOCAL:       gpu.binary @softcap_kernel

// LIBDEVICE:     gpu.binary @softcap_kernel
// LIBDEVICE-NOT: .extern .func

// BIN: gpu.binary @causal_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @softcap_kernel {{.*}}bin = "\7FELF

func.func @causal(%q: tensor<1x2x37x16xf32>, %k: tensor<1x1x37x16xf32>,
                  %v: tensor<1x1x37x8xf32>) -> tensor<1x2x37x8xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x37x16xf32>, tensor<1x1x37x16xf32>, tensor<1x1x37x8xf32>
         -> tensor<1x2x37x8xf32>
  return %o : tensor<1x2x37x8xf32>
}

// bf16 with a soft cap (libdevice tanh, linked by gpu-module-to-binary)
// and the logsumexp (libdevice log).
func.func @softcap(%q: tensor<2x4x100x64xbf16>, %k: tensor<2x2x100x64xbf16>,
                   %v: tensor<2x2x100x64xbf16>)
    -> (tensor<2x4x100x64xbf16>, tensor<2x4x100xf32>) {
  %o, %l = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 31, right = 0>]>)
       score_mods([#attn.softcap<50.0>])
       : tensor<2x4x100x64xbf16>, tensor<2x2x100x64xbf16>, tensor<2x2x100x64xbf16>
         -> tensor<2x4x100x64xbf16>, tensor<2x4x100xf32>
  return %o, %l : tensor<2x4x100x64xbf16>, tensor<2x4x100xf32>
}
