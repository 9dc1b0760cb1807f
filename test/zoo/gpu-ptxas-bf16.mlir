// Every zoo spec compiles for the GPU in bf16 (Q, K, V and the output
// retyped: the tensor-core kernels) and ptxas assembles sm_80 and sm_90
// without spilling; as gpu-ptxas.mlir, with its checks.
// REQUIRES: ptxas
// RUN: %numpy_python %S/../../scripts/gpu_resources.py attn-emit-lib --dtype bf16 | FileCheck %S/Inputs/gpu_ptxas_checks.txt
