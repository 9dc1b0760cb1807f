// The kernel read from the tile program is the kernel convert-attn-to-gpu
// reads from attn.attention, op for op: the same pre-mapping IR for the
// specs of the GPU lit tests (masks, regions, score modifications, bias,
// head maps, sinks, gates, logsumexp, weight_mod in one and two passes,
// pointwise normalizations; SIMT, tensor cores, register softmax, async
// copies).
// RUN: attn-opt %S/../AttnToGPU/features.mlir -split-input-file --pass-pipeline='builtin.module(func.func(convert-attn-to-gpu{tile-q=16 tile-kv=16 threads=64 async-copies=false}))' > %t.old
// RUN: attn-opt %S/../AttnToGPU/features.mlir -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64 async-copies=false}))' > %t.new
// RUN: diff %t.old %t.new
// RUN: attn-opt %S/../AttnToGPU/features.mlir -split-input-file --pass-pipeline='builtin.module(func.func(convert-attn-to-gpu))' > %t.old
// RUN: attn-opt %S/../AttnToGPU/features.mlir -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))' > %t.new
// RUN: diff %t.old %t.new
// RUN: attn-opt %S/../AttnToGPU/tensor-cores.mlir --pass-pipeline='builtin.module(func.func(convert-attn-to-gpu))' > %t.old
// RUN: attn-opt %S/../AttnToGPU/tensor-cores.mlir --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))' > %t.new
// RUN: diff %t.old %t.new
// RUN: attn-opt %S/../AttnToGPU/async-copies.mlir -split-input-file --pass-pipeline='builtin.module(func.func(convert-attn-to-gpu{tile-q=16 tile-kv=16 threads=64 use-tensor-cores=false}))' > %t.old
// RUN: attn-opt %S/../AttnToGPU/async-copies.mlir -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64 use-tensor-cores=false}))' > %t.new
// RUN: diff %t.old %t.new
