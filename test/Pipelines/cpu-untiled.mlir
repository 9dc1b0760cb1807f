// RUN: attn-opt %s --attn-cpu-untiled | FileCheck %s

// The whole CPU pipeline leaves only the LLVM dialect; the result becomes a
// caller-owned out-param of the C interface.
// CHECK-NOT: attn.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK: llvm.func @_mlir_ciface_causal(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) attributes
func.func @causal(%q: tensor<1x2x5x4xf32>, %k: tensor<1x1x7x4xf32>, %v: tensor<1x1x7x8xf32>) -> tensor<1x2x5x8xf32> attributes {llvm.emit_c_interface} {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x5x4xf32>, tensor<1x1x7x4xf32>, tensor<1x1x7x8xf32> -> tensor<1x2x5x8xf32>
  return %o : tensor<1x2x5x8xf32>
}
