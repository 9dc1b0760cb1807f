// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))'
// RUN: not attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16}))' 2>&1 | FileCheck %s --check-prefix=OPTIONS
// RUN: not attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0 split-kv=0},convert-attn-tile-to-gpu{split-kv=1025}))' 2>&1 | FileCheck %s --check-prefix=OPTIONS

// Head dimension 4096: even 8x8 tiles (8 queries: the query tile is cut to
// them) need more shared memory than the
// default budget of 99 KiB.
func.func @huge_head(%q: tensor<1x1x8x4096xf32>, %k: tensor<1x1x8x4096xf32>,
                     %v: tensor<1x1x8x4096xf32>) -> tensor<1x1x8x4096xf32> {
  // expected-error @below {{needs 524704 bytes of shared memory per block with tiles of 8x8 (head dims 4096, 4096), more than max-shared-bytes = 101376}}
  %o = attn.attention %q, %k, %v
       : tensor<1x1x8x4096xf32>, tensor<1x1x8x4096xf32>, tensor<1x1x8x4096xf32> -> tensor<1x1x8x4096xf32>
  return %o : tensor<1x1x8x4096xf32>
}

// OPTIONS: convert-attn-tile-to-gpu: threads must be positive, tile-q and tile-kv both positive or both 0 (automatic), split-kv in [0, 1024]
