// Every zoo check (the specs, seeds and shapes of the other files here)
// again through the monolithic tiled kernel (attn-run --tiled-kernel:
// convert-attn-to-cpu), against the float64 reference: the zoo files run
// the tile program, the default lowering, and the tiled kernel keeps this
// coverage until it is deleted. Runs of tile-program-only specs and options
// (linear attention, selection, quantization, split-KV...) are skipped. The
// split-KV form of the tile program is tile-program-split-kv.mlir (a file
// of its own so that ctest runs the two at once).
// RUN: %numpy_python %S/Inputs/rerun_checks.py %zoo %S --tiled-kernel | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: [[N:[0-9]+]] of [[N]] runs passed
