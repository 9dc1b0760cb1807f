// The linear-attention kernel (chunked causal with a decay per head, global
// with ELU+1 and l1 in bf16, chunked ELU+1 with l1 in f16 on tensor cores,
// Mamba-2's decay per key position in f32 and GLA's gates per key channel in
// bf16 on tensor cores) mapped and compiled to PTX for sm_80 and sm_90: one
// launch per spec over (batch, head, value-column slice) blocks, shared
// memory declared dynamic, barriers between the stages, ex2.approx for the
// decay factors; the state and tiles live in shared memory, nothing in local
// memory. ptxas assembles both (format=bin) and, through attn-emit-lib
// --resource-usage (ptxas -v), reports no spills.
// RUN: attn-opt %s --attn-gpu-launch="tile-q=16 tile-kv=16 threads=64" | FileCheck %s --check-prefix=LAUNCH
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_80" | FileCheck %s --check-prefixes=PTX,SM80
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=16 tile-kv=16 threads=64 chip=sm_90" | FileCheck %s --check-prefixes=PTX,SM90
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_80 format=bin" | FileCheck %s --check-prefix=BIN %}
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_90 format=bin" | FileCheck %s --check-prefix=BIN %}
// RUN: rm -rf %t && attn-emit-lib %s --arch sm_80,sm_90 -o %t --resource-usage > %t.out
// RUN: %if ptxas %{ FileCheck %s --check-prefix=RESOURCES < %t.out %}

// LAUNCH-LABEL: func.func @lightning
// 1 x 4 heads x 2 slices of 64 of the 96 value columns: 8 blocks.
// LAUNCH: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c8, %{{.*}} = %c1, %{{.*}} = %c1) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c64, %{{.*}} = %c1, %{{.*}} = %c1) dynamic_shared_memory_size
// LAUNCH: gpu.dynamic_shared_memory
// LAUNCH: math.log
// LAUNCH: scf.for
// LAUNCH: gpu.barrier
// LAUNCH: math.exp2
// LAUNCH-LABEL: func.func @global_elu_l1
// LAUNCH: gpu.launch

// PTX: gpu.binary @lightning_kernel
// SM80-SAME: chip = "sm_80"
// SM90-SAME: chip = "sm_90"
// PTX-SAME: .extern .shared .align 16 .b8 __dynamic_shmem__0[];
// PTX-SAME: bar.sync
// PTX-SAME: ex2.approx
// PTX-NOT: __local_depot
// PTX: gpu.binary @global_elu_l1_kernel
// PTX-SAME: bar.sync
// PTX-NOT: __local_depot

// The causal f16 spec: the chunk's products as ldmatrix + mma.sync.
// PTX: gpu.binary @chunked_f16_kernel
// PTX-SAME: ldmatrix.sync.aligned
// PTX-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: __local_depot

// The data-dependent decays: ex2.approx for the factors; GLA's scores are
// SIMT, its P V one mma.sync.
// PTX: gpu.binary @mamba2_f32_kernel
// PTX-SAME: ex2.approx
// PTX-NOT: __local_depot
// PTX: gpu.binary @gla_bf16_kernel
// PTX-SAME: ex2.approx
// PTX-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-NOT: __local_depot

// BIN: gpu.binary @lightning_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @global_elu_l1_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @chunked_f16_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @mamba2_f32_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @gla_bf16_kernel {{.*}}bin = "\7FELF

// RESOURCES-DAG: lightning sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: lightning sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: global_elu_l1 sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: global_elu_l1 sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: chunked_f16 sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: chunked_f16 sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: mamba2_f32 sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: mamba2_f32 sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: gla_bf16 sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: gla_bf16 sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B

func.func @lightning(%q: tensor<1x4x300x64xf32>, %k: tensor<1x4x300x64xf32>,
                     %v: tensor<1x4x300x96xf32>, %a: tensor<1x4x1xf32>)
    -> tensor<1x4x300x96xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<1x4x1xf32>) mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x4x300x64xf32>, tensor<1x4x300x64xf32>, tensor<1x4x300x96xf32> -> tensor<1x4x300x96xf32>
  return %o : tensor<1x4x300x96xf32>
}

func.func @global_elu_l1(%q: tensor<2x2x77x32xbf16>, %k: tensor<2x2x130x32xbf16>,
                         %v: tensor<2x2x130x40xbf16>) -> tensor<2x2x77x40xbf16> {
  %o = attn.attention %q, %k, %v feature_map(#attn.feature_map<elu_plus_one>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<2x2x77x32xbf16>, tensor<2x2x130x32xbf16>, tensor<2x2x130x40xbf16> -> tensor<2x2x77x40xbf16>
  return %o : tensor<2x2x77x40xbf16>
}

func.func @chunked_f16(%q: tensor<1x4x200x64xf16>, %k: tensor<1x4x200x64xf16>,
                       %v: tensor<1x4x200x40xf16>) -> tensor<1x4x200x40xf16> {
  %o = attn.attention %q, %k, %v feature_map(#attn.feature_map<elu_plus_one>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<1x4x200x64xf16>, tensor<1x4x200x64xf16>, tensor<1x4x200x40xf16> -> tensor<1x4x200x40xf16>
  return %o : tensor<1x4x200x40xf16>
}

// C per head, B and x shared by groups of heads (GQA, the zoo spec's form),
// Dv = 80 over two value slices.
func.func @mamba2_f32(%c: tensor<2x8x333x64xf32>, %b: tensor<2x2x333x64xf32>,
                      %x: tensor<2x2x333x80xf32>, %a: tensor<2x8x333xf32>)
    -> tensor<2x8x333x80xf32> {
  %o = attn.attention %c, %b, %x decay(%a : tensor<2x8x333xf32>) mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<2x8x333x64xf32>, tensor<2x2x333x64xf32>, tensor<2x2x333x80xf32> -> tensor<2x8x333x80xf32>
  return %o : tensor<2x8x333x80xf32>
}

func.func @gla_bf16(%q: tensor<1x4x200x64xbf16>, %k: tensor<1x4x200x64xbf16>,
                    %v: tensor<1x4x200x64xbf16>, %g: tensor<1x4x200x64xbf16>)
    -> tensor<1x4x200x64xbf16> {
  %o = attn.attention %q, %k, %v decay(%g : tensor<1x4x200x64xbf16>) mask(#attn.causal)
       normalization(#attn.normalize<identity>)
       : tensor<1x4x200x64xbf16>, tensor<1x4x200x64xbf16>, tensor<1x4x200x64xbf16> -> tensor<1x4x200x64xbf16>
  return %o : tensor<1x4x200x64xbf16>
}
