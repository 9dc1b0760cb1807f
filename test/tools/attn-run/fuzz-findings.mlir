// Reproducers the spec fuzzer's hostile-integer and deep-nesting runs found
// (fuzz/findings in the fuzzing branch): integer overflows in verifiers and
// in the runner's default sizes, and a mask nested 3000 levels deep. Each is
// now a located error and a non-zero exit, never a wrap-around, an abort or
// a stack overflow.

// RUN: not attn-run %S/Inputs/fuzz/neighborhood-grid-product.mlir --random 1 2>&1 | FileCheck %s --check-prefix=GRID
// GRID: neighborhood-grid-product.mlir:3:{{[0-9]+}}: error: #attn.neighborhood grid, kernel and dilation of axis 0 must be at most 2^40
// RUN: not attn-run %S/Inputs/fuzz/neighborhood-kernel-dilation.mlir --random 1 2>&1 | FileCheck %s --check-prefix=DIL
// DIL: neighborhood-kernel-dilation.mlir:3:{{[0-9]+}}: error: #attn.neighborhood grid, kernel and dilation of axis 0 must be at most 2^40
// RUN: not attn-run %S/Inputs/fuzz/runner-neighborhood-length.mlir --random 1 2>&1 | FileCheck %s --check-prefix=LEN
// LEN: runner-neighborhood-length.mlir:3:{{[0-9]+}}: error: #attn.neighborhood grid, kernel and dilation of axis 1 must be at most 2^40
// RUN: not attn-run %S/Inputs/fuzz/runner-neighborhood-inferred-extent.mlir --random 1 2>&1 | FileCheck %s --check-prefix=INF
// INF: runner-neighborhood-inferred-extent.mlir:3:{{[0-9]+}}: error: #attn.neighborhood grid, kernel and dilation of axis 0 must be at most 2^40
// RUN: not attn-run %S/Inputs/fuzz/runner-dims-extent-expression.mlir --random 1 2>&1 | FileCheck %s --check-prefix=DIMS
// DIMS: attn-run: error: attn.dims of argument 'capture0': entry 0 must be an integer or one of
// RUN: not attn-run %S/Inputs/fuzz/deep-mask-nesting.mlir --random 1 2>&1 | FileCheck %s --check-prefix=DEEP
// DEEP: deep-mask-nesting.mlir:3:{{[0-9]+}}: error: brackets nested deeper than 1024 levels
