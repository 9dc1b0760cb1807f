// The sanitizer stage's pass over the zoo (scripts/sanitize.sh): every zoo
// spec through the CPU pipeline to the LLVM dialect (the tile program, its
// vector kernels, bufferization, the conversions), so AddressSanitizer and
// UBSan watch attn-opt's own passes on every declaration of the zoo. The
// vector width alternates between 8 and 16 lanes in file order (each width
// on half of the zoo: one attn-opt process per spec and width costs ~0.5 s
// of CPU under ASan). The zoo files themselves (attn-run --check of
// each spec, whose time goes to uninstrumented LLVM code generation and
// JIT-compiled kernels) run in the plain build only.
// REQUIRES: asan
// RUN: w=8; for f in %zoo/*/*.mlir; do attn-opt $f --attn-cpu-tile-vector=vector-width=$w | FileCheck %s || exit 1; w=$((24 - w)); done
// CHECK: llvm.func
// CHECK-NOT: attn.attention
// CHECK-NOT: attn_tile.
