// RUN: not attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-kv=0})' 2>&1 | FileCheck %s
// RUN: not attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{vector-width=0})' 2>&1 | FileCheck %s
// RUN: not attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-q=-8})' 2>&1 | FileCheck %s

// RUN: not attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-kv=32768})' 2>&1 | FileCheck %s
// RUN: not attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-q=9223372036854775807})' 2>&1 | FileCheck %s
// CHECK: error: convert-attn-to-cpu: vector-width must be in [1, 64], tile-q in [0, 1024] (0: automatic) and tile-kv in [1, 4096], got
func.func @f(%q: tensor<1x1x8x4xf32>, %k: tensor<1x1x8x4xf32>, %v: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}
