// Every zoo spec (zoo/**/*.mlir, found when the script runs) compiles for
// the GPU with the default tile configuration: attn-emit-lib writes PTX for
// sm_80 and sm_90 and ptxas (-v) assembles both without spilling.
// scripts/gpu_resources.py exits 1 on a compile error, a kernel without a
// ptxas report or a spill; its table is the one in docs/gpu.md.
// REQUIRES: ptxas
// RUN: %numpy_python %S/../../scripts/gpu_resources.py attn-emit-lib | FileCheck %s
// The same in f16 and bf16 (Q, K, V and the output retyped): the
// tensor-core kernels of every spec, without spills either.
// RUN: %numpy_python %S/../../scripts/gpu_resources.py attn-emit-lib --dtype f16 | FileCheck %s
// RUN: %numpy_python %S/../../scripts/gpu_resources.py attn-emit-lib --dtype bf16 | FileCheck %s

// CHECK:     | spec | function |
// CHECK-NOT: compile error
// CHECK-NOT: no ptxas
// Among them the specs with head maps, output gates, weight_mod regions and
// sink logits.
// CHECK:     | zoo/heads/dha.mlir | dha | {{.*}} | 0/0 |
// CHECK:     | zoo/heads/kdgqa.mlir | kdgqa | {{.*}} | 0/0 |
// CHECK:     | zoo/heads/mae_h_minus_1.mlir | mae_h_minus_1 | {{.*}} | 0/0 |
// CHECK:     | zoo/heads/moa_heads.mlir | moa_heads | {{.*}} | 0/0 |
// CHECK:     | zoo/heads/moh.mlir | moh | {{.*}} | 0/0 |
// CHECK:     | zoo/heads/shrp.mlir | shrp | {{.*}} | 0/0 |
// CHECK:     | zoo/heads/sigma_diffqkv.mlir | sigma_diffqkv | {{.*}} | 0/0 |
// CHECK:     | zoo/normalizations/affine_scaled.mlir | affine_scaled | {{.*}} | 0/0 |
// CHECK:     | zoo/normalizations/cog.mlir | cog | {{.*}} | 0/0 |
// CHECK:     | zoo/normalizations/tab_bottleneck.mlir | tab_bottleneck | {{.*}} | 0/0 |
// CHECK:     | zoo/score_mods/luong.mlir | luong_local_p | {{.*}} | 0/0 |
// CHECK-NOT: compile error
// CHECK-NOT: no ptxas
