// The tile program of every zoo spec prints, parses back and verifies
// (attn-opt --attn-to-tile, then attn-opt on its output), one key loop per
// spec at least.
// RUN: for f in %zoo/*/*.mlir; do attn-opt $f --attn-to-tile | attn-opt --verify-roundtrip | FileCheck %s || exit 1; done
// CHECK: attn_tile.for_key_tiles
// CHECK: attn_tile.finalize
