// attn-blockmap classifies the (q-tile, kv-tile) pairs of a spec and writes
// them as a PNG; the file must start with the 8-byte PNG signature.

// Sizes given explicitly must be sizes (--heads 0 was once accepted).
// RUN: not attn-blockmap %s --nq 256 --heads 0 -o %t4.png 2>&1 | FileCheck %s --check-prefix=HEADS
// HEADS: attn-blockmap: error: --heads must be positive, got 0
// RUN: not attn-blockmap %s --nq -3 -o %t4.png 2>&1 | FileCheck %s --check-prefix=NQ
// NQ: attn-blockmap: error: --nq must be positive, got -3
// RUN: not attn-blockmap %s --nq 256 --tile-kv 0 -o %t4.png 2>&1 | FileCheck %s --check-prefix=TILE
// TILE: attn-blockmap: error: --tile-kv must be positive, got 0
// RUN: not attn-blockmap %s --nq 256 --head -1 -o %t4.png 2>&1 | FileCheck %s --check-prefix=NEGHEAD
// NEGHEAD: attn-blockmap: error: --head must be non-negative, got -1

// RUN: attn-blockmap %s --nq 256 --tile-q 32 --tile-kv 64 -o %t.png | FileCheck %s
// RUN: od -An -tx1 -N8 %t.png | FileCheck %s --check-prefix=SIG
// RUN: attn-blockmap %s --nq 256 --nk 128 --cell 3 -o %t2.png | FileCheck %s --check-prefix=RECT
// RUN: od -An -tx1 -N8 %t2.png | FileCheck %s --check-prefix=SIG
// RUN: attn-blockmap %zoo/masks/s2_attention.mlir --nq 1024 --heads 4 --head 1 -o %t3.png | FileCheck %s --check-prefix=S2
// RUN: od -An -tx1 -N8 %t3.png | FileCheck %s --check-prefix=SIG
// RUN: not attn-blockmap %s -o %t4.png 2>&1 | FileCheck %s --check-prefix=DYN
// RUN: not attn-blockmap %s --nq 64 --head 3 --heads 2 -o %t5.png 2>&1 | FileCheck %s --check-prefix=HEAD

// Causal window of 64 keys, tiles 32 x 64 over 256 x 256: 8 x 4 tiles.
// CHECK: block map of head 0: nq 256, nk 256, tiles 32x64 -> 8x4 tiles, 18 empty, 0 full, 14 partial
// CHECK-SAME: wrote {{.*}}.png (256x512)

// Nk = 128 < Nq: queries aligned bottom-right; 4 x 2 tiles of 3 pixels.
// RECT: nq 256, nk 128, tiles 64x64 -> 4x2 tiles
// RECT-SAME: (6x12)

// S2-Attention, head 1, 1024 x 1024 in 64 x 64 tiles.
// S2: block map of head 1: nq 1024, nk 1024, tiles 64x64 -> 16x16 tiles, {{[0-9]+}} empty, {{[0-9]+}} full, 16 partial

// SIG: 89 50 4e 47 0d 0a 1a 0a

// DYN: attn-blockmap: error: the spec has dynamic sequence lengths: give --nq (and --nk)
// HEAD: error: {{.*}}head

func.func @window(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 63, right = 0>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
