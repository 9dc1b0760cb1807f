// The row epilogue and element-wise output gates of finalize in the
// linear-attention kernel (their own file: a 128-column row is more than the
// SMALL budget of linear.mlir). The CPU view runs the kernel too.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=16},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64}))' | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-gpu-on-cpu="tile-q=8 tile-kv=8 threads=32" | FileCheck %s --check-prefix=CPU

// TNL's output: the rms_norm epilogue over all Dv = 128 columns (one block
// per row: linear_columns = 128) and an element-wise gate. A stage takes
// each row's factor 1 / sqrt(mean o^2 + eps) into [C], the store multiplies
// it and the gate of (row, column). bf16 with D = 128 and a 128-column
// state: the tensor cores' 16-bit copies do not fit at chunks of 16, so the
// SIMT stages run (no attn.gpu.tensor_cores, no contraction).
// CHECK-LABEL: func.func @rms_gate_bf16_wide
// CHECK-SAME: attn.gpu.linear_columns = 128 : i64
// CHECK-NOT: attn.gpu.tensor_cores
// CHECK-NOT: vector.contract
// CHECK: %[[NORMS:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%[[I:.*]]) in (16) {
// CHECK: math.fma
// CHECK: math.rsqrt
// CHECK: memref.store %{{.*}}, %[[NORMS]][%[[I]]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.forall
// CHECK: memref.load %[[NORMS]]
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : tensor<1x2x40x128xbf16>
// CHECK: memref.store {{.*}} : memref<1x2x40x128xbf16>
// CHECK: } {mapping = [#gpu.thread<x>]}
// CPU-LABEL: llvm.func @rms_gate_bf16_wide
func.func @rms_gate_bf16_wide(%q: tensor<1x2x40x128xbf16>, %g: tensor<1x2x40x128xbf16>) -> tensor<1x2x40x128xbf16> {
  %o = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x40x128xbf16>)
       feature_map(#attn.feature_map<silu>) mask(#attn.causal)
       normalization(#attn.normalize<identity>) scale(1.0)
       epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)
       : tensor<1x2x40x128xbf16>, tensor<1x2x40x128xbf16>, tensor<1x2x40x128xbf16> -> tensor<1x2x40x128xbf16>
  return %o : tensor<1x2x40x128xbf16>
}
