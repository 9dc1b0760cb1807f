// RUN: attn-opt %s --attn-cpu-tile-vector='tile-q=64 tile-kv=64 vector-width=16' --mlir-disable-threading | FileCheck %s
// RUN: attn-opt %s --attn-cpu-tile-vector='tile-q=32 tile-kv=32 vector-width=8' --mlir-disable-threading | FileCheck %s

// convert-attn-tile-to-vector runs on one function after another with the
// same pass instance: its packed key copies are per function. These three
// FP8 specs (keys defined by attn_tile.quantize_fp8, erased by the portable
// lowering of the first function before the next is vectorized) once met
// a stale packed copy of an earlier function in the third ("'vector.
// transfer_read' op using value defined outside the region").
// CHECK-LABEL: llvm.func @fp8_block
// CHECK-LABEL: llvm.func @fp8_token
// CHECK-LABEL: llvm.func @fp8_pv

func.func @fp8_block(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v 
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 128, k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}


func.func @fp8_token(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v 
       quantization(#attn.quantized_qk<scheme = fp8_e4m3>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}


func.func @fp8_pv(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v 
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 128, k_block = 64, smooth_k = true, pv = fp8_e4m3>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

