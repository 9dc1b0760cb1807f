// Every zoo check (the specs, seeds and shapes of the other files here)
// again through the tile program and its portable loops lowering
// (attn-run --tile-program: attn-to-tile, convert-attn-tile-to-loops),
// against the float64 reference. The split-KV form is
// tile-program-split-kv.mlir (a file of its own so that ctest runs the two
// at once).
// RUN: %numpy_python %S/Inputs/rerun_checks.py %zoo %S --tile-program | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: [[N:[0-9]+]] of [[N]] runs passed
