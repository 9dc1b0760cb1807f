// Brackets nested deeper than 1024 levels (attn/Support/SourceNesting.h)
// are refused before MLIR parses the text, with the location of the first
// bracket past the bound, by every tool that reads a spec and by attn-opt
// (also from stdin): upstream MLIR's parser has no depth limit and an
// array nested 8000 levels deep overflowed its stack (SIGSEGV). Brackets
// inside string literals and comments do not count, and 1024 levels are
// accepted.

// RUN: rm -rf %t && mkdir -p %t
// RUN: %numpy_python %S/attn-run/Inputs/nesting.py deep-string > %t/deep-string.mlir
// RUN: %numpy_python %S/attn-run/Inputs/nesting.py deep-comment > %t/deep-comment.mlir
// RUN: %numpy_python %S/attn-run/Inputs/nesting.py at-limit > %t/at-limit.mlir
// RUN: %numpy_python %S/attn-run/Inputs/nesting.py over-limit > %t/over-limit.mlir

// RUN: not attn-opt %t/over-limit.mlir 2>&1 | FileCheck %s --check-prefix=OVER
// RUN: not attn-opt < %t/over-limit.mlir 2>&1 | FileCheck %s --check-prefix=STDIN
// RUN: not attn-run %t/over-limit.mlir --random 1 2>&1 | FileCheck %s --check-prefix=OVER
// RUN: not attn-blockmap %t/over-limit.mlir --nq 64 -o %t/map.png 2>&1 | FileCheck %s --check-prefix=OVER
// RUN: not attn-emit-lib %t/over-limit.mlir -o %t/lib 2>&1 | FileCheck %s --check-prefix=OVER
// OVER: over-limit.mlir:2:1105: error: brackets nested deeper than 1024 levels: refused before parsing (the parser recurses once per level and would overflow its stack)
// STDIN: <stdin>:2:1105: error: brackets nested deeper than 1024 levels

// The fuzzer's reproducer: 8000 levels.
// RUN: not attn-opt %S/attn-run/Inputs/fuzz/upstream-nested-array.mlir 2>&1 | FileCheck %s --check-prefix=FUZZ
// RUN: not attn-run %S/attn-run/Inputs/fuzz/upstream-nested-array.mlir --random 1 2>&1 | FileCheck %s --check-prefix=FUZZ
// FUZZ: upstream-nested-array.mlir:2:{{[0-9]+}}: error: brackets nested deeper than 1024 levels

// RUN: attn-opt %t/at-limit.mlir > /dev/null
// RUN: attn-run %t/deep-string.mlir --random 1 --shape 1,2,2,9,9,8 --check | FileCheck %s --check-prefix=PARSES
// RUN: attn-run %t/deep-comment.mlir --random 1 --shape 1,2,2,9,9,8 --check | FileCheck %s --check-prefix=PARSES
// PARSES: check output {{.*}} PASS
