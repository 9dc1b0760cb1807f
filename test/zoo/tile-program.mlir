// Every zoo check (the specs, seeds and shapes of the other files here)
// again through the tile program and its portable loops lowering
// (attn-run --tile-program: attn-to-tile, convert-attn-tile-to-loops),
// against the float64 reference.
// RUN: %numpy_python %S/Inputs/rerun_checks.py %zoo %S --tile-program | FileCheck %s
// The split-KV form: the key tiles of each query tile in up to 3 splits
// merged by their logsumexp.
// RUN: %numpy_python %S/Inputs/rerun_checks.py %zoo %S --tile-program --split-kv 3 | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: [[N:[0-9]+]] of [[N]] runs passed
