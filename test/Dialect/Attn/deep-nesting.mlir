// Attribute nesting is bounded: a mask nested thousands of levels deep once
// overflowed the parser's stack, and one bad leaf deep inside printed one
// error per enclosing level. Now: one located error, a non-zero exit.

// RUN: %numpy_python %S/Inputs/nested_mask.py 300 causal > %t.deep.mlir
// RUN: not attn-opt %t.deep.mlir 2>&1 | FileCheck %s --check-prefix=DEEP
// RUN: not attn-opt %t.deep.mlir 2>&1 | grep -c "error:" | FileCheck %s --check-prefix=ONE
// DEEP: error: attn attributes nested deeper than 128 levels
// ONE: {{^}}1{{$}}

// Thousands of levels are refused before parsing (test/tools/spec-nesting.mlir).
// RUN: %numpy_python %S/Inputs/nested_mask.py 5000 causal > %t.deeper.mlir
// RUN: not attn-opt %t.deeper.mlir 2>&1 | FileCheck %s --check-prefix=SOURCE
// RUN: not attn-opt %t.deeper.mlir 2>&1 | grep -c "error:" | FileCheck %s --check-prefix=ONE
// SOURCE: error: brackets nested deeper than 1024 levels

// A bad leaf 100 levels down: one error, at the leaf.
// RUN: %numpy_python %S/Inputs/nested_mask.py 100 "window<left = -1, right = 0>" > %t.leaf.mlir
// RUN: not attn-opt %t.leaf.mlir 2>&1 | FileCheck %s --check-prefix=LEAF
// RUN: not attn-opt %t.leaf.mlir 2>&1 | grep -c "error:" | FileCheck %s --check-prefix=ONE
// LEAF: error: #attn.window bounds must be non-negative, got left = -1, right = 0

// Nesting within the bound parses, verifies and round-trips.
// RUN: %numpy_python %S/Inputs/nested_mask.py 100 causal > %t.ok.mlir
// RUN: attn-opt %t.ok.mlir | attn-opt | FileCheck %s --check-prefix=OK
// OK: attn.attention
