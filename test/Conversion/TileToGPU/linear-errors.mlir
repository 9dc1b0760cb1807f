// A chunk (tile-kv) whose buffers do not fit the shared memory is an error
// on the spec, also past attn-to-tile's largest linear-chunk (1024): the
// pipelines pass tile-kv to the kernel as is.
// RUN: not attn-opt %s --attn-gpu-on-cpu="tile-q=16 tile-kv=2000" 2>&1 | FileCheck %s
// RUN: not attn-opt %s --attn-gpu-on-cpu="tile-q=16 tile-kv=1024" 2>&1 | FileCheck %s --check-prefix=K1024

// CHECK: linear-errors.mlir:[[@LINE+3]]:8: error: the linear-attention kernel needs {{[0-9]+}} bytes of shared memory per block with chunks of 2000 and 8 value columns (head dim 16), more than max-shared-bytes = 101376
// K1024: linear-errors.mlir:[[@LINE+2]]:8: error: the linear-attention kernel needs {{[0-9]+}} bytes of shared memory per block with chunks of 1024 and 8 value columns (head dim 16), more than max-shared-bytes = 101376
func.func @chunk_too_large(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  %o = attn.attention %q, %q, %q feature_map(#attn.feature_map<relu>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}
