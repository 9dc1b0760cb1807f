// RUN: attn-opt %s --test-attn-block-map="tile-q=2 tile-kv=2" -o /dev/null | FileCheck %s
// RUN: attn-opt %s --test-attn-block-map="tile-q=1 tile-kv=1" -o /dev/null | FileCheck %s --check-prefix=UNIT
// RUN: attn-opt %s --test-attn-block-map="tile-q=2 tile-kv=2 exact-counts=1" -o /dev/null | FileCheck %s --check-prefix=COUNT
// RUN: attn-opt %s --test-attn-block-map="tile-q=2 tile-kv=2 max-brute-force=0" -o /dev/null | FileCheck %s --check-prefix=NOBF

// Block classification of masks: '.' empty, '#' full, '+' partial tiles, one
// q-tile per line. Positional masks use the bottom-right aligned query
// position p = i + Nk - Nq.

// Causal with Nq = 6 < Nk = 10 (p = i + 4): every row sees the first 5 keys.
// CHECK-LABEL: block-map @causal_decode #0: heads 2, nq 6, nk 10, tiles 2x2, head-invariant
// CHECK-NEXT: heads 0-1:
// CHECK-NEXT: ##+..
// CHECK-NEXT: ###+.
// CHECK-NEXT: ####+
// CHECK-NEXT: density 0.750000 exact, 3 empty, 9 full, 3 partial
// UNIT-LABEL: block-map @causal_decode
// UNIT-NEXT: heads 0-1:
// UNIT-NEXT: #####.....
// UNIT-NEXT: ######....
// UNIT-NEXT: #######...
// UNIT-NEXT: ########..
// UNIT-NEXT: #########.
// UNIT-NEXT: ##########
// UNIT-NEXT: density 0.750000 exact, 15 empty, 45 full, 0 partial
func.func @causal_decode(%q: tensor<1x2x6x4xf32>, %k: tensor<1x2x10x4xf32>) -> tensor<1x2x6x4xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.causal)
       : tensor<1x2x6x4xf32>, tensor<1x2x10x4xf32>, tensor<1x2x10x4xf32> -> tensor<1x2x6x4xf32>
  return %o : tensor<1x2x6x4xf32>
}

// Nq = 7 > Nk = 5 (p = i - 2): the first two query rows see nothing; the
// last q-tile is a single row.
// CHECK-LABEL: block-map @causal_prefill #1: heads 1, nq 7, nk 5, tiles 2x2, head-invariant
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: ...
// CHECK-NEXT: +..
// CHECK-NEXT: #+.
// CHECK-NEXT: ###
func.func @causal_prefill(%q: tensor<1x1x7x4xf32>, %k: tensor<1x1x5x4xf32>) -> tensor<1x1x7x4xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.causal)
       : tensor<1x1x7x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32> -> tensor<1x1x7x4xf32>
  return %o : tensor<1x1x7x4xf32>
}

// A two-sided window: p - 2 <= j <= p + 1.
// CHECK-LABEL: block-map @window
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: #+..
// CHECK-NEXT: +#+.
// CHECK-NEXT: .+#+
// CHECK-NEXT: ..+#
// CHECK-NEXT: density 0.437500 exact, 6 empty, 4 full, 6 partial
// UNIT-LABEL: block-map @window
// UNIT-NEXT: heads 0-0:
// UNIT-NEXT: ##......
// UNIT-NEXT: ###.....
// UNIT-NEXT: ####....
// UNIT-NEXT: .####...
// UNIT-NEXT: ..####..
// UNIT-NEXT: ...####.
// UNIT-NEXT: ....####
// UNIT-NEXT: .....###
func.func @window(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.window<left = 2, right = 1>)
       : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// StreamingLLM: causal AND (2 sinks OR a window of 3 tokens). Keys 0-1 are
// Full for every row from 2 on; rows 6-7 see neither keys 2-3 (not sinks, out
// of the window). Partial tiles of a composition count by their area in the
// density (an upper bound) unless exact-counts is set: row i keeps
// |{0, 1} u [i-2, i]| keys, 30 of 64.
// CHECK-LABEL: block-map @streaming
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: +...
// CHECK-NEXT: #+..
// CHECK-NEXT: #++.
// CHECK-NEXT: #.++
// CHECK-NEXT: density 0.562500 upper-bound, 7 empty, 3 full, 6 partial
// COUNT-LABEL: block-map @streaming
// COUNT: density 0.468750 exact, 7 empty, 3 full, 6 partial
// UNIT-LABEL: block-map @streaming
// UNIT-NEXT: heads 0-0:
// UNIT-NEXT: #.......
// UNIT-NEXT: ##......
// UNIT-NEXT: ###.....
// UNIT-NEXT: ####....
// UNIT-NEXT: #####...
// UNIT-NEXT: ##.###..
// UNIT-NEXT: ##..###.
// UNIT-NEXT: ##...###
// UNIT-NEXT: density 0.468750 exact, 34 empty, 30 full, 0 partial
func.func @streaming(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %q, %q
       mask(#attn.and<[#attn.causal, #attn.or<[#attn.sinks<2>, #attn.window<left = 2, right = 0>]>]>)
       : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// S2-Attention style strided shards: head h keeps key blocks J with
// (J + h*1 + 1) mod 3 == 0 (offset = -1, head_step = -1), blocks of 2 keys.
// CHECK-LABEL: block-map @strided_per_head
// CHECK-SAME: heads 3, nq 4, nk 12, tiles 2x2
// CHECK-NOT: head-invariant
// CHECK-NEXT: head 0:
// CHECK-NEXT: ..#..#
// CHECK-NEXT: ..#..#
// CHECK-NEXT: density 0.333333 exact
// CHECK-NEXT: head 1:
// CHECK-NEXT: .#..#.
// CHECK-NEXT: .#..#.
// CHECK-NEXT: density 0.333333 exact
// CHECK-NEXT: head 2:
// CHECK-NEXT: #..#..
// CHECK-NEXT: #..#..
func.func @strided_per_head(%q: tensor<1x3x4x4xf32>, %k: tensor<1x3x12x4xf32>) -> tensor<1x3x4x4xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.strided<stride = 3, block = 2, offset = -1, head_step = -1>)
       : tensor<1x3x4x4xf32>, tensor<1x3x12x4xf32>, tensor<1x3x12x4xf32> -> tensor<1x3x4x4xf32>
  return %o : tensor<1x3x4x4xf32>
}

// 2-D neighborhood, 4x4 grid, 3x3 kernel (shifted at the borders): query
// (0, 0) sees rows 0-2, columns 0-2 of the grid.
// UNIT-LABEL: block-map @neighborhood_2d
// UNIT-NEXT: heads 0-0:
// UNIT-NEXT: ###.###.###.....
// UNIT-NEXT: ###.###.###.....
// UNIT-NEXT: .###.###.###....
// UNIT-NEXT: .###.###.###....
// UNIT-NEXT: ###.###.###.....
// UNIT-NEXT: ###.###.###.....
// UNIT-NEXT: .###.###.###....
// UNIT-NEXT: .###.###.###....
// UNIT-NEXT: ....###.###.###.
// UNIT-NEXT: ....###.###.###.
// UNIT-NEXT: .....###.###.###
// UNIT-NEXT: .....###.###.###
// UNIT-NEXT: ....###.###.###.
// UNIT-NEXT: ....###.###.###.
// UNIT-NEXT: .....###.###.###
// UNIT-NEXT: .....###.###.###
// UNIT-NEXT: density 0.562500 exact
// Tiles of 2 are halves of grid rows: q-tile 0 is (0, 0)-(0, 1), whose
// windows are grid rows 0-2 and columns 0-2, so kv-tile 0 is Full, kv-tile 1
// ((0, 2)-(0, 3)) Partial, and grid row 3 (kv-tiles 6-7) Empty.
// CHECK-LABEL: block-map @neighborhood_2d
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: #+#+#+..
// CHECK-NEXT: +#+#+#..
// CHECK-NEXT: #+#+#+..
// CHECK-NEXT: +#+#+#..
// CHECK-NEXT: ..#+#+#+
// CHECK-NEXT: ..+#+#+#
// CHECK-NEXT: ..#+#+#+
// CHECK-NEXT: ..+#+#+#
// CHECK-NEXT: density 0.562500 exact, 16 empty, 24 full, 24 partial
func.func @neighborhood_2d(%q: tensor<1x1x16x4xf32>) -> tensor<1x1x16x4xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.neighborhood<grid = [4, 4], kernel = [3, 3]>)
       : tensor<1x1x16x4xf32>, tensor<1x1x16x4xf32>, tensor<1x1x16x4xf32> -> tensor<1x1x16x4xf32>
  return %o : tensor<1x1x16x4xf32>
}

// DuoAttention-like per-head masks: heads 0 and 2 causal, head 1 streaming.
// CHECK-LABEL: block-map @per_head
// CHECK-NOT: head-invariant
// CHECK-NEXT: head 0:
// CHECK-NEXT: +...
// CHECK-NEXT: #+..
// CHECK-NEXT: ##+.
// CHECK-NEXT: ###+
// CHECK-NEXT: density 0.562500 exact
// CHECK-NEXT: head 1:
// CHECK-NEXT: +...
// CHECK-NEXT: ++..
// CHECK-NEXT: +++.
// CHECK-NEXT: +.++
// CHECK-NEXT: density 0.562500 upper-bound
// CHECK-NEXT: head 2:
// CHECK-NEXT: +...
// CHECK-NEXT: #+..
// CHECK-NEXT: ##+.
// CHECK-NEXT: ###+
func.func @per_head(%q: tensor<1x3x8x4xf32>) -> tensor<1x3x8x4xf32> {
  %o = attn.attention %q, %q, %q
       mask(#attn.per_head<masks = [#attn.causal,
                                    #attn.and<[#attn.causal, #attn.or<[#attn.sinks<1>, #attn.window<left = 1, right = 0>]>]>],
                           heads = [0, 1, 0]>)
       : tensor<1x3x8x4xf32>, tensor<1x3x8x4xf32>, tensor<1x3x8x4xf32> -> tensor<1x3x8x4xf32>
  return %o : tensor<1x3x8x4xf32>
}

// and/or/not: (causal AND NOT chunked<4>: keys of earlier chunks only) OR
// the first 2 keys.
// CHECK-LABEL: block-map @and_or_not
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: #...
// CHECK-NEXT: #...
// CHECK-NEXT: ##..
// CHECK-NEXT: ##..
// CHECK-NEXT: density 0.375000 exact, 10 empty, 6 full, 0 partial
func.func @and_or_not(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %q, %q
       mask(#attn.or<[#attn.and<[#attn.causal, #attn.not<#attn.chunked<4>>]>, #attn.sinks<2>]>)
       : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// A region mask: j in {i, i + 1} (as (i - j + 1) <u 2, with unsigned
// wrap-around) AND the key padding j < 6, classified by integer range
// inference over the tile's intervals: tiles below the band and keys 6-7
// are Empty.
// CHECK-LABEL: block-map @region
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: ++..
// CHECK-NEXT: .++.
// CHECK-NEXT: ..+.
// CHECK-NEXT: ....
// CHECK-NEXT: density 0.312500 upper-bound, 11 empty, 0 full, 5 partial
func.func @region(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %q, %q mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c1 = arith.constant 1 : index
         %c2 = arith.constant 2 : index
         %c6 = arith.constant 6 : index
         %d = arith.subi %i, %j : index
         %d1 = arith.addi %d, %c1 : index
         %near = arith.cmpi ult, %d1, %c2 : index
         %pad = arith.cmpi ult, %j, %c6 : index
         %ok = arith.andi %near, %pad : i1
         attn.yield %ok : i1
       }
       : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// With the attribute causal mask AND-ed in, only the diagonal tiles remain.
// CHECK-LABEL: block-map @region_and_causal
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: +...
// CHECK-NEXT: .+..
// CHECK-NEXT: ..+.
// CHECK-NEXT: ....
func.func @region_and_causal(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal) mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c1 = arith.constant 1 : index
         %c2 = arith.constant 2 : index
         %c6 = arith.constant 6 : index
         %d = arith.subi %i, %j : index
         %d1 = arith.addi %d, %c1 : index
         %near = arith.cmpi ult, %d1, %c2 : index
         %pad = arith.cmpi ult, %j, %c6 : index
         %ok = arith.andi %near, %pad : i1
         attn.yield %ok : i1
       }
       : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// A region reading the head argument is not head-invariant: keep h <= i.
// CHECK-LABEL: block-map @region_per_head
// CHECK-NOT: head-invariant
// CHECK-NEXT: head 0:
// CHECK-NEXT: ##
// CHECK-NEXT: ##
// CHECK-NEXT: density 1.000000 exact
// CHECK-NEXT: head 1:
// CHECK-NEXT: ++
// CHECK-NEXT: ##
// CHECK-NEXT: density 1.000000 upper-bound, 0 empty, 2 full, 2 partial
// CHECK-NEXT: head 2:
// CHECK-NEXT: ..
// CHECK-NEXT: ##
// CHECK-NEXT: density 0.500000 exact
// CHECK-NEXT: head 3:
// CHECK-NEXT: ..
// CHECK-NEXT: ++
func.func @region_per_head(%q: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %o = attn.attention %q, %q, %q mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %ok = arith.cmpi ule, %h, %i : index
         attn.yield %ok : i1
       }
       : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return %o : tensor<1x4x4x4xf32>
}

// Keys at most one behind: window<left = 1, right = 0> OR NOT causal. On the
// diagonal tiles both children are Partial, so composition alone says
// Partial; the bounded enumeration finds them Full (exact), and
// max-brute-force=0 keeps the sound Partial.
// CHECK-LABEL: block-map @refined
// CHECK-NEXT: heads 0-0:
// CHECK-NEXT: ####
// CHECK-NEXT: +###
// CHECK-NEXT: .+##
// CHECK-NEXT: ..+#
// CHECK-NEXT: density 0.812500 upper-bound, 3 empty, 10 full, 3 partial
// Row i keeps 8 - max(0, i - 1) keys: 43 of 64.
// COUNT-LABEL: block-map @refined
// COUNT: density 0.671875 exact, 3 empty, 10 full, 3 partial
// NOBF-LABEL: block-map @refined
// NOBF-NEXT: heads 0-0:
// NOBF-NEXT: +###
// NOBF-NEXT: ++##
// NOBF-NEXT: .++#
// NOBF-NEXT: ..++
func.func @refined(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %q, %q
       mask(#attn.or<[#attn.window<left = 1, right = 0>, #attn.not<#attn.causal>]>)
       : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}
