// The last zoo check of every spec (most often its odd size) through the
// tile program's split-KV form (the zoo files run every check through the
// one-pass form, the default): the key tiles of each query tile in up to 3 splits
// merged by their logsumexp, against the float64 reference.
// RUN: %numpy_python %S/Inputs/rerun_checks.py --last-per-spec %zoo %S --tile-program --split-kv 3 | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: [[N:[0-9]+]] of [[N]] runs passed
