// MoBA (mean-pooled keys, top-3 per token with the current block, causal) on
// the GPU: three kernels in one function, the pooling and the selection
// kernels before the attention kernel, which reads its key tiles from the
// list the selection kernel writes; FlexPrefill's form (per query block
// of 128, cumulative mass 0.9, a sink block) adds the pooled queries' kernel.
// PTX for sm_80 and sm_90 (f32: SIMT; bf16: tensor cores), and with the
// CUDA toolkit every kernel assembles
// with ptxas without spills (scripts/ptxas_report.py: every entry of each
// function's one image).
// RUN: attn-opt %s --attn-gpu-launch | FileCheck %s --check-prefix=LAUNCH
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_80" | FileCheck %s --check-prefix=PTX
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_90" | FileCheck %s --check-prefix=PTX
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_80" | %numpy_python %S/../../../scripts/ptxas_report.py | FileCheck %s --check-prefix=SPILLS80 %}
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_90" | %numpy_python %S/../../../scripts/ptxas_report.py | FileCheck %s --check-prefix=SPILLS90 %}
// The library runs the kernels from one launch call, their buffers in the
// caller's workspace.
// RUN: rm -rf %t && attn-emit-lib %s -o %t | FileCheck %s --check-prefix=LIB

// LAUNCH-LABEL: func.func @moba
// LAUNCH-COUNT-3: gpu.launch blocks
// LAUNCH-NOT:     gpu.launch blocks
// LAUNCH-LABEL: func.func @moba_bf16
// LAUNCH-COUNT-3: gpu.launch blocks
// LAUNCH-LABEL: func.func @flexprefill_bf16
// LAUNCH-COUNT-4: gpu.launch blocks
// LAUNCH-NOT:     gpu.launch blocks

// PTX-COUNT-10: .visible .entry
// PTX-NOT:      .visible .entry

// SPILLS80-COUNT-10: sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// SPILLS90-COUNT-10: sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B

// LIB: wrote {{.*}}/moba.{h,c,json} and 1 PTX{{.*}}, 3 kernels, workspace {{[1-9][0-9]*}} B
// LIB: wrote {{.*}}/moba_bf16.{h,c,json} and 1 PTX{{.*}}, 3 kernels, workspace {{[1-9][0-9]*}} B
// LIB: wrote {{.*}}/flexprefill_bf16.{h,c,json} and 1 PTX{{.*}}, 4 kernels, workspace {{[1-9][0-9]*}} B

func.func @moba(%q: tensor<1x8x1000x128xf32>, %k: tensor<1x4x1000x128xf32>,
                %v: tensor<1x4x1000x128xf32>) -> tensor<1x8x1000x128xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
       : tensor<1x8x1000x128xf32>, tensor<1x4x1000x128xf32>, tensor<1x4x1000x128xf32> -> tensor<1x8x1000x128xf32>
  return %o : tensor<1x8x1000x128xf32>
}

func.func @moba_bf16(%q: tensor<1x8x1000x128xbf16>, %k: tensor<1x4x1000x128xbf16>,
                     %v: tensor<1x4x1000x128xbf16>) -> tensor<1x8x1000x128xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
       : tensor<1x8x1000x128xbf16>, tensor<1x4x1000x128xbf16>, tensor<1x4x1000x128xbf16> -> tensor<1x8x1000x128xbf16>
  return %o : tensor<1x8x1000x128xbf16>
}

func.func @flexprefill_bf16(%q: tensor<1x8x1000x128xbf16>, %k: tensor<1x4x1000x128xbf16>,
                            %v: tensor<1x4x1000x128xbf16>) -> tensor<1x8x1000x128xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 128, k = 1000000, pool = mean, q_block = 128, mass = 0.9, sinks = 1>)
       : tensor<1x8x1000x128xbf16>, tensor<1x4x1000x128xbf16>, tensor<1x4x1000x128xbf16> -> tensor<1x8x1000x128xbf16>
  return %o : tensor<1x8x1000x128xbf16>
}
