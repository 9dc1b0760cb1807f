// Every zoo check through the tile program's split-KV form (as
// tile-program.mlir): the key tiles of each query tile in up to 3 splits
// merged by their logsumexp, against the float64 reference.
// RUN: %numpy_python %S/Inputs/rerun_checks.py %zoo %S --tile-program --split-kv 3 | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: [[N:[0-9]+]] of [[N]] runs passed
