// The tile program of every zoo spec prints, parses back and verifies
// (attn-opt --attn-to-tile, then attn-opt on its output), one key loop per
// spec at least (or, for causal linear attention, the chunked form's state).
// RUN: for f in %zoo/*/*.mlir; do attn-opt $f --attn-to-tile | attn-opt --verify-roundtrip | FileCheck %s || exit 1; done
// CHECK-DAG: attn_tile.{{for_key_tiles|read_state}}
// CHECK-DAG: attn_tile.finalize
