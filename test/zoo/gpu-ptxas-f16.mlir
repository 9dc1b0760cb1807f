// Every zoo spec compiles for the GPU in f16 (Q, K, V and the output
// retyped: the tensor-core kernels) and ptxas assembles sm_80 and sm_90
// without spilling; as gpu-ptxas.mlir, with its checks.
// REQUIRES: ptxas
// RUN: %numpy_python %S/../../scripts/gpu_resources.py attn-emit-lib --dtype f16 | FileCheck %S/Inputs/gpu_ptxas_checks.txt
