// Tensor-core kernels through the GPU pipeline.
// After mapping: the warp-level stages are loops over the warp's 16x8
// tiles (warp id = thread id / 32), still marked for the conversion. With
// the register softmax (the default) a key tile has two barriers: after the
// wait for its copies, and at its end; the Q K^T stage, the softmax (its row
// max reduced over each quad with shuffles: attn-gpu-lane-exchange) and P V
// only share reads of shared memory.
// RUN: attn-opt %s --attn-gpu-launch="tile-q=32 tile-kv=16 threads=64" | FileCheck %s --check-prefix=LAUNCH
// register-softmax=false: S and P through shared memory, a barrier after
// each stage that writes them.
// RUN: attn-opt %s --attn-gpu-launch="tile-q=32 tile-kv=16 threads=64 register-softmax=false" | FileCheck %s --check-prefix=SHAREDS
// attn-gpu-warp-mma-to-nvgpu: ldmatrix (transposed for V) + mma.sync; for
// bf16, nvvm.mma.sync with bf16 multiplicands.
// RUN: attn-opt %s --attn-gpu-launch="tile-q=32 tile-kv=16 threads=64" | attn-opt --attn-gpu-warp-mma-to-nvgpu | FileCheck %s --check-prefix=NVGPU
// PTX for sm_80 and sm_90.
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=32 tile-kv=16 threads=64 chip=sm_80" | FileCheck %s --check-prefixes=PTX,SM80
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=32 tile-kv=16 threads=64 chip=sm_90" | FileCheck %s --check-prefixes=PTX,SM90
// ptxas accepts both kernels for both architectures with the default tiles.
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_80 format=bin" | FileCheck %s --check-prefix=BIN %}
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_90 format=bin" | FileCheck %s --check-prefix=BIN %}

// LAUNCH-LABEL: func.func @causal_f16
// LAUNCH:         gpu.launch
// S, P (2 warps x 1 row block x 16 x Bk) and O in warp-private buffers.
// LAUNCH-DAG:       memref.alloc() {attn.gpu.warp_private} : memref<2x2x16x8xf32>
// LAUNCH-DAG:       memref.alloc() {attn.gpu.warp_private} : memref<2x1x16x16xf16>
// LAUNCH-NOT:       attn.gpu.lane_exchange
// LAUNCH:           scf.for
// LAUNCH:             nvgpu.device_async_wait
// LAUNCH-NEXT:        gpu.barrier
// LAUNCH-NOT:         gpu.barrier
// LAUNCH:             scf.for %{{.*}} = %c0{{.*}} to %c2{{.*}} step %c1{{.*}} {
// LAUNCH:               vector.contract
// LAUNCH:             } {attn.gpu.warp_mma}
// LAUNCH-NOT:         gpu.barrier
// LAUNCH:             gpu.shuffle  xor %[[MAX:.*]], %c1_i32{{.*}}, %c32_i32
// LAUNCH:             gpu.shuffle  xor %[[MAX]], %c2_i32{{.*}}, %c32_i32
// LAUNCH:             gpu.shuffle  xor %[[MAX]], %c3_i32{{.*}}, %c32_i32
// LAUNCH-NOT:         gpu.barrier
// Before P V a partial key tile probes its values (an excluded pair's
// 0 x NaN; GPULowering::probeValues) in its own branch, with no barrier
// before it: a full tile still has one barrier. When a value is not
// finite, the rows add the kept ones and the tile's copies become 0 (the
// only stores into the V tile).
// LAUNCH:             scf.if %{{.*}} {
// LAUNCH-NEXT:          arith.index_cast %{{.*}} : index to i32
// LAUNCH:                 arith.cmpf uge
// LAUNCH:               gpu.barrier
// LAUNCH:                   memref.store %{{.*}} : memref<32x24xf16, #gpu.address_space<workgroup>>
// The branch publishes the zeroed values for P V itself (partial tiles only).
// LAUNCH:               gpu.barrier
// LAUNCH-NEXT:        }
// LAUNCH-NEXT:        scf.for
// LAUNCH-NOT:         gpu.barrier
// LAUNCH:               vector.contract
// LAUNCH:             } {attn.gpu.warp_mma}
// LAUNCH-NEXT:        gpu.barrier
// LAUNCH-NEXT:      }
// After the key loop: each row's sum over its quad, then m and l to shared
// memory for the one-thread-per-row epilogue.
// LAUNCH:           gpu.shuffle  xor
// LAUNCH:           gpu.barrier

// SHAREDS-LABEL: func.func @causal_f16
// SHAREDS:         gpu.launch
// SHAREDS:           %[[TID:.*]] = gpu.thread_id x
// SHAREDS:           gpu.barrier
// SHAREDS:           %[[WARP:.*]] = affine.apply #{{.*}}()[%[[TID]]]
// SHAREDS-NEXT:      scf.for %{{.*}} = %[[WARP]] to %{{.*}} step %{{.*}} {
// SHAREDS:             vector.contract
// SHAREDS:           } {attn.gpu.warp_mma}
// SHAREDS-NEXT:      gpu.barrier
// SHAREDS-NOT:       gpu.shuffle

// NVGPU-LABEL: func.func @causal_f16
// NVGPU-NOT:     vector.contract
// NVGPU:         nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<32x40xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// K and V hold two tiles (double buffering): 32 rows.
// NVGPU:         nvgpu.ldmatrix %{{.*}} {numTiles = 2 : i32, transpose = false} : memref<32x40xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
// NVGPU:         nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// P V: A (P) is the lane's registers of the m16n8k16 A fragment, four
// 2-element loads from the warp-private P; V through ldmatrix.trans.
// NVGPU-COUNT-4: vector.load %{{.*}} : memref<2x1x16x16xf16>, vector<2xf16>
// NVGPU:         nvgpu.ldmatrix %{{.*}} {numTiles = 2 : i32, transpose = true} : memref<32x24xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
// NVGPU:         nvgpu.mma.sync
// NVGPU-LABEL: func.func @softcap_bf16
// NVGPU-NOT:     vector.contract
// NVGPU-NOT:     nvgpu.mma.sync
// NVGPU:         nvgpu.ldmatrix %{{.*}} : memref<32x40xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// NVGPU:         nvvm.mma.sync A[{{.*}}]  B[{{.*}}]  C[{{.*}}]  {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// The bf16 P is kept as f16 bits (the same 16 bits) for the f16-typed
// fragment loads.
// NVGPU:         arith.bitcast %{{.*}} : bf16 to f16
// NVGPU:         vector.load %{{.*}} : memref<2x1x16x16xf16>, vector<2xf16>
// NVGPU:         nvvm.mma.sync

// SM80: .target sm_80
// SM90: .target sm_90
// PTX-LABEL: .entry causal_f16_kernel(
// O lives in the mma accumulators (registers), no local memory.
// PTX-NOT:     __local_depot
// K in 16-byte pieces (L2 only), V in 8-byte ones (Dv = 12), the wait for
// all groups but the newest one before the barrier. LLVM's block placement
// decides the order of the stages in the text.
// PTX:         cp.async.cg.shared.global {{[^;]*}}, 16, %r{{[0-9]+}};
// PTX:         cp.async.ca.shared.global {{[^;]*}}, 8, %r{{[0-9]+}};
// PTX:         cp.async.commit_group;
// PTX-DAG:     cp.async.wait_group \091;\0A\09bar.sync
// PTX-DAG:     ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG:     ldmatrix.sync.aligned.m8n8.x2.shared.b16
// PTX-DAG:     ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16
// PTX-DAG:     mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-LABEL: .entry softcap_bf16_kernel(
// PTX-NOT:     __local_depot
// PTX-DAG:     cp.async.wait_group \091;
// PTX-DAG:     mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG:     ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16

// BIN: gpu.binary @causal_f16_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @softcap_bf16_kernel {{.*}}bin = "\7FELF

func.func @causal_f16(%q: tensor<1x2x37x24xf16>, %k: tensor<1x1x37x24xf16>,
                      %v: tensor<1x1x37x12xf16>) -> tensor<1x2x37x12xf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x37x24xf16>, tensor<1x1x37x24xf16>, tensor<1x1x37x12xf16> -> tensor<1x2x37x12xf16>
  return %o : tensor<1x2x37x12xf16>
}

func.func @softcap_bf16(%q: tensor<1x2x37x32xbf16>, %k: tensor<1x2x37x32xbf16>,
                        %v: tensor<1x2x37x32xbf16>) -> tensor<1x2x37x32xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) score_mods([#attn.softcap<5.0>])
       : tensor<1x2x37x32xbf16>, tensor<1x2x37x32xbf16>, tensor<1x2x37x32xbf16> -> tensor<1x2x37x32xbf16>
  return %o : tensor<1x2x37x32xbf16>
}
