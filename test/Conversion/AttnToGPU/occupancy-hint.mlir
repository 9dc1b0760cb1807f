// attn-gpu-occupancy-hint: nvvm.minctasm = the blocks the dynamic shared
// memory admits per SM, capped so that each thread keeps at least 128
// registers, or the host function's attn.gpu.min_registers.
// RUN: attn-opt %s --attn-gpu-occupancy-hint=shared-per-sm=233472 | FileCheck %s
// No architecture, no hint.
// RUN: attn-opt %s --attn-gpu-occupancy-hint | FileCheck %s --check-prefix=NONE

// 233472 / 52992 = 4 blocks; 65536 / (128 x 128) = 4 allow it.
// CHECK-LABEL: gpu.module @plain
// CHECK:         gpu.func @kernel() kernel attributes {nvvm.minctasm = 4 : i32}
// min_registers = 184: 65536 / (128 x 184) = 2 blocks.
// CHECK-LABEL: gpu.module @accumulators
// CHECK:         gpu.func @kernel() kernel attributes {nvvm.minctasm = 2 : i32}
// Below 128 the floor stays 128.
// CHECK-LABEL: gpu.module @few
// CHECK:         gpu.func @kernel() kernel attributes {nvvm.minctasm = 4 : i32}
// NONE-NOT:      nvvm.minctasm
module attributes {gpu.container_module} {
  gpu.module @plain {
    gpu.func @kernel() kernel { gpu.return }
  }
  gpu.module @accumulators {
    gpu.func @kernel() kernel { gpu.return }
  }
  gpu.module @few {
    gpu.func @kernel() kernel { gpu.return }
  }
  func.func @plain_host() {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %smem = arith.constant 52992 : i32
    gpu.launch_func @plain::@kernel blocks in (%c1, %c1, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %smem
    return
  }
  func.func @accumulators_host() attributes {attn.gpu.min_registers = 184 : i64} {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %smem = arith.constant 52992 : i32
    gpu.launch_func @accumulators::@kernel blocks in (%c1, %c1, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %smem
    return
  }
  func.func @few_host() attributes {attn.gpu.min_registers = 72 : i64} {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %smem = arith.constant 52992 : i32
    gpu.launch_func @few::@kernel blocks in (%c1, %c1, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %smem
    return
  }
}
