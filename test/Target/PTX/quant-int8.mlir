// Pre-quantized INT8 Q K^T (SIMT kernel) mapped and compiled to PTX for
// sm_80 and sm_90: i8 rows read from global memory as s8 and clamped to
// -127 (max.s16) and stored as bytes (st.shared.b8), the i32 dot products
// on 32-bit words of 4 bytes from shared memory (ld.shared.b32), one dp4a
// per word (attn-gpu-dot-accumulate-4way; no byte extraction or multiply
// left), one i32 -> f32 conversion per score, then the
// softmax (ex2.approx); nothing in local memory. ptxas assembles both
// (format=bin) and, through attn-emit-lib --resource-usage (ptxas -v),
// reports no spills for the test tiles and the default ones.
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=16 tile-kv=16 threads=64 chip=sm_80" | FileCheck %s --check-prefixes=PTX,SM80
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_90" | FileCheck %s --check-prefixes=PTX,SM90
// RUN: attn-opt %s --attn-gpu-ptx="tile-q=16 tile-kv=16 threads=64 chip=sm_80" | FileCheck %s --check-prefix=NOLOCAL
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_90" | FileCheck %s --check-prefix=NOLOCAL
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_80 format=bin" | FileCheck %s --check-prefix=BIN %}
// RUN: %if ptxas %{ attn-opt %s --attn-gpu-ptx="chip=sm_90 format=bin" | FileCheck %s --check-prefix=BIN %}
// RUN: rm -rf %t && attn-emit-lib %s --arch sm_80,sm_90 -o %t --resource-usage > %t.out
// RUN: %if ptxas %{ FileCheck %s --check-prefix=RESOURCES < %t.out %}

// PTX-LABEL: gpu.binary @int8_causal_kernel
// SM80-SAME:   chip = "sm_80"
// SM90-SAME:   chip = "sm_90"
// SM80-SAME:   .target sm_80
// SM90-SAME:   .target sm_90
// PTX-SAME:    .extern .shared .align 16 .b8 __dynamic_shmem__0[];
// PTX-SAME:    .entry int8_causal_kernel(
// PTX-SAME:    ld.global.s8
// PTX-SAME:    max.s16
// PTX-SAME:    st.shared.b8
// PTX-SAME:    bar.sync
// PTX-SAME:    ld.shared.{{(v2\.|v4\.)?}}b32
// PTX-SAME:    dp4a.s32.s32
// PTX-NOT:     prmt.b32
// PTX-SAME:    cvt.rn.f32.s32
// PTX-SAME:    ex2.approx.f32
// PTX-NOT:     .extern .func
// PTX:       gpu.binary @window_softcap_bf16_kernel
// PTX-SAME:    .entry window_softcap_bf16_kernel(
// PTX-SAME:    ld.global.s8
// PTX-SAME:    st.shared.b8
// PTX-SAME:    dp4a.s32.s32
// PTX-SAME:    cvt.rn.f32.s32

// NOLOCAL:       gpu.binary @int8_causal_kernel
// NOLOCAL-NOT:   __local_depot
// NOLOCAL:       gpu.binary @window_softcap_bf16_kernel
// NOLOCAL-NOT:   __local_depot

// BIN: gpu.binary @int8_causal_kernel {{.*}}bin = "\7FELF
// BIN: gpu.binary @window_softcap_bf16_kernel {{.*}}bin = "\7FELF

// RESOURCES-DAG: int8_causal sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: int8_causal sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: window_softcap_bf16 sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B
// RESOURCES-DAG: window_softcap_bf16 sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B

// Query scales per (head, block of 16 tokens), key scales per token.
func.func @int8_causal(%q: tensor<1x2x37x16xi8>, %k: tensor<1x1x37x16xi8>, %v: tensor<1x1x37x16xf32>,
                       %sq: tensor<1x2x3xf32>, %sk: tensor<1x1x37xf32>) -> tensor<1x2x37x16xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x2x3xf32>) k_scale(%sk : tensor<1x1x37xf32>)
       mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 16>)
       : tensor<1x2x37x16xi8>, tensor<1x1x37x16xi8>, tensor<1x1x37x16xf32> -> tensor<1x2x37x16xf32>
  return %o : tensor<1x2x37x16xf32>
}

// SageAttention's shapes: D = 128, query blocks of 128, key blocks of 64,
// a causal sliding window and a softcap, bf16 V and output.
func.func @window_softcap_bf16(%q: tensor<1x4x300x128xi8>, %k: tensor<1x2x300x128xi8>,
                               %v: tensor<1x2x300x128xbf16>, %sq: tensor<1x4x3xf32>,
                               %sk: tensor<1x2x5xf32>) -> tensor<1x4x300x128xbf16> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x4x3xf32>) k_scale(%sk : tensor<1x2x5xf32>)
       mask(#attn.and<[#attn.causal, #attn.window<left = 127, right = 0>]>)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 128, k_block = 64>)
       score_mods([#attn.softcap<30.0>])
       : tensor<1x4x300x128xi8>, tensor<1x2x300x128xi8>, tensor<1x2x300x128xbf16> -> tensor<1x4x300x128xbf16>
  return %o : tensor<1x4x300x128xbf16>
}
