// Split-KV kernels mapped and compiled to PTX for sm_80 and sm_90: a decode
// step (8 heads, one query row, 4096 keys) in f16 on tensor cores and in f32
// on the SIMT kernel, with automatic splits: two launches per spec, the
// splits' kernel over (work item, split) blocks and the merge kernel over
// (batch, head, query tile) blocks, both in one PTX image, nothing in local
// memory. ptxas assembles both (format=bin).
// RUN: attn-opt %s --attn-gpu-launch="split-kv=0" | FileCheck %s --check-prefix=LAUNCH
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_80 split-kv=0" | FileCheck %s --check-prefix=PTX
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_90 split-kv=5" | FileCheck %s --check-prefix=PTX
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_80 format=bin split-kv=0" | FileCheck %s --check-prefix=BIN %}
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_90 format=bin split-kv=0" | FileCheck %s --check-prefix=BIN %}

// LAUNCH-LABEL: func.func @decode_f16
// 8 work items x min(ceil(264 / 8), 128 key tiles of 32 / 4) = 256 blocks,
// then 8 merge blocks.
// LAUNCH:       gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c256,
// LAUNCH:         vector.contract
// LAUNCH:       gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c8,
// LAUNCH-NOT:     vector.contract
// LAUNCH:         math.log
// LAUNCH-LABEL: func.func @decode_f32
// LAUNCH:       gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c{{[0-9]+}},
// LAUNCH:       gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c8,

// One image per function (attn-gpu-merge-kernel-modules) with both entries.
// PTX: gpu.binary @decode_f16_kernel
// PTX-SAME: .entry decode_f16_kernel(
// PTX-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-SAME: .entry decode_f16_kernel_{{[0-9]+}}(
// PTX-SAME: ex2.approx
// PTX-NOT: __local_depot
// PTX-NOT: gpu.binary @decode_f16_kernel_
// PTX: gpu.binary @decode_f32_kernel
// PTX-SAME: .entry decode_f32_kernel(
// PTX-SAME: .entry decode_f32_kernel_{{[0-9]+}}(
// PTX-NOT: __local_depot
// PTX-NOT: gpu.binary

// BIN: gpu.binary @decode_f16_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @decode_f32_kernel {{.*}}bin = "\7FELF

func.func @decode_f16(%q: tensor<1x8x1x128xf16>, %k: tensor<1x8x4096x128xf16>,
                      %v: tensor<1x8x4096x128xf16>, %s: tensor<8xf32>)
    -> (tensor<1x8x1x128xf16>, tensor<1x8x1xf32>) {
  %o, %l = attn.attention %q, %k, %v sink_logits(%s : tensor<8xf32>)
       mask(#attn.causal)
       : tensor<1x8x1x128xf16>, tensor<1x8x4096x128xf16>, tensor<1x8x4096x128xf16>
         -> tensor<1x8x1x128xf16>, tensor<1x8x1xf32>
  return %o, %l : tensor<1x8x1x128xf16>, tensor<1x8x1xf32>
}

func.func @decode_f32(%q: tensor<1x8x1x128xf32>, %k: tensor<1x8x4096x128xf32>,
                      %v: tensor<1x8x4096x128xf32>) -> tensor<1x8x1x128xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<1x8x1x128xf32>, tensor<1x8x4096x128xf32>, tensor<1x8x4096x128xf32>
         -> tensor<1x8x1x128xf32>
  return %o : tensor<1x8x1x128xf32>
}
