// Every zoo spec (zoo/**/*.mlir, found when the script runs) compiles for
// the GPU with the default tile configuration: attn-emit-lib writes PTX for
// sm_80 and sm_90 and ptxas (-v) assembles both without spilling.
// scripts/gpu_resources.py exits 1 on a compile error, a kernel without a
// ptxas report or a spill; its table is the one in docs/gpu.md. The f16 and
// bf16 forms (the tensor-core kernels) are gpu-ptxas-f16.mlir and
// gpu-ptxas-bf16.mlir, files of their own so that ctest runs them at once;
// the three share their checks (Inputs/gpu_ptxas_checks.txt): among them
// the specs with head maps, output gates, weight_mod regions and sink
// logits.
// REQUIRES: ptxas
// RUN: %numpy_python %S/../../scripts/gpu_resources.py attn-emit-lib | FileCheck %S/Inputs/gpu_ptxas_checks.txt
