// Tensor cores (f16/bf16 inputs, on by default) need mma-shaped tiles and
// whole warps; each refusal names the way out.
// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=8}))'
// RUN: not attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=48}))' 2>&1 | FileCheck %s --check-prefix=WARPS
// The same tiles are fine for the SIMT kernel.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=8 use-tensor-cores=false}))' | FileCheck %s --check-prefix=SIMT

func.func @tc_tiles(%q: tensor<1x1x20x16xf16>) -> tensor<1x1x20x16xf16> {
  // expected-error @below {{tensor cores need tile-q and tile-kv multiples of 16, got 16x8 (use-tensor-cores=false for the SIMT kernel)}}
  %o = attn.attention %q, %q, %q
       : tensor<1x1x20x16xf16>, tensor<1x1x20x16xf16>, tensor<1x1x20x16xf16> -> tensor<1x1x20x16xf16>
  return %o : tensor<1x1x20x16xf16>
}

// -----

func.func @tc_tiles_bf16(%q: tensor<1x1x20x16xbf16>) -> tensor<1x1x20x16xbf16> {
  // expected-error @below {{tensor cores need tile-q and tile-kv multiples of 16, got 16x8}}
  %o = attn.attention %q, %q, %q
       : tensor<1x1x20x16xbf16>, tensor<1x1x20x16xbf16>, tensor<1x1x20x16xbf16> -> tensor<1x1x20x16xbf16>
  return %o : tensor<1x1x20x16xbf16>
}

// WARPS: error: tensor cores need whole warps, got threads = 48 (use-tensor-cores=false for the SIMT kernel)
// SIMT-LABEL: func.func @tc_tiles
// SIMT-NOT:     vector.contract
// SIMT:         attn.gpu.tile_kv = 8
