// attn-gpu-merge-kernel-modules: the kernels one host function launches end
// up in the first module it launches; names taken there (the kernel, a
// constant table) are renamed with their uses; a module launched from two
// host functions stays where it is.
// RUN: attn-opt %s --attn-gpu-merge-kernel-modules | FileCheck %s

// CHECK-LABEL: gpu.module @split
// CHECK:         memref.global "private" constant @table : memref<2xi32> = dense<[1, 2]>
// CHECK:         gpu.func @kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK:           memref.get_global @table : memref<2xi32>
// CHECK:         memref.global "private" constant @table_1 : memref<2xi32> = dense<[3, 4]>
// CHECK:         gpu.func @kernel_1(%{{.*}}: memref<4xf32>) kernel
// CHECK:           memref.get_global @table_1 : memref<2xi32>
// CHECK-NOT:   gpu.module @merge
// CHECK:       gpu.module @shared
// CHECK-LABEL: func.func @split_host
// CHECK:         gpu.launch_func @split::@kernel
// CHECK:         gpu.launch_func @split::@kernel_1
// CHECK:         gpu.launch_func @shared::@kernel
// CHECK-LABEL: func.func @other_host
// CHECK:         gpu.launch_func @shared::@kernel
module attributes {gpu.container_module} {
  gpu.module @split {
    memref.global "private" constant @table : memref<2xi32> = dense<[1, 2]>
    gpu.func @kernel(%a: memref<4xf32>) kernel {
      %t = memref.get_global @table : memref<2xi32>
      gpu.return
    }
  }
  gpu.module @merge {
    memref.global "private" constant @table : memref<2xi32> = dense<[3, 4]>
    gpu.func @kernel(%a: memref<4xf32>) kernel {
      %t = memref.get_global @table : memref<2xi32>
      gpu.return
    }
  }
  gpu.module @shared {
    gpu.func @kernel() kernel { gpu.return }
  }
  func.func @split_host(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @split::@kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @merge::@kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @shared::@kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
  func.func @other_host() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @shared::@kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
