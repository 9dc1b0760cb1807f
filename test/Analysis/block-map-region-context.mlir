// RUN: attn-opt %s --test-attn-block-map="tile-q=2 tile-kv=2 max-brute-force=0" -o /dev/null | FileCheck %s

// Regions that read the sequence lengths (attn.query_length,
// attn.key_length) and the aligned position (attn.aligned_query) are
// classified exactly by the range analysis: the lengths are the problem's.
// max-brute-force=0: no element-wise fallback, so this is the range analysis.

// A causal region on the aligned position is #attn.causal (Nq = 6, Nk = 10).
// CHECK-LABEL: block-map @aligned_causal #0: heads 2, nq 6, nk 10, tiles 2x2, head-invariant
// CHECK-NEXT: heads 0-1:
// CHECK-NEXT: ##+..
// CHECK-NEXT: ###+.
// CHECK-NEXT: ####+
// CHECK-NEXT: density {{.*}}, 3 empty, 9 full, 3 partial
func.func @aligned_causal(%q: tensor<1x2x6x4xf32>, %k: tensor<1x2x10x4xf32>) -> tensor<1x2x6x4xf32> {
  %o = attn.attention %q, %k, %k mask_fn {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %p = attn.aligned_query %i : index
    %ok = arith.cmpi sle, %j, %p : index
    attn.yield %ok : i1
  } : tensor<1x2x6x4xf32>, tensor<1x2x10x4xf32>, tensor<1x2x10x4xf32> -> tensor<1x2x6x4xf32>
  return %o : tensor<1x2x6x4xf32>
}

// The raw-index predicate j <= i is top-left aligned: a different mask.
// CHECK-LABEL: block-map @raw_causal #1: heads 2, nq 6, nk 10, tiles 2x2, head-invariant
// CHECK-NEXT: heads 0-1:
// CHECK-NEXT: +....
// CHECK-NEXT: #+...
// CHECK-NEXT: ##+..
func.func @raw_causal(%q: tensor<1x2x6x4xf32>, %k: tensor<1x2x10x4xf32>) -> tensor<1x2x6x4xf32> {
  %o = attn.attention %q, %k, %k mask_fn {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %ok = arith.cmpi sle, %j, %i : index
    attn.yield %ok : i1
  } : tensor<1x2x6x4xf32>, tensor<1x2x10x4xf32>, tensor<1x2x10x4xf32> -> tensor<1x2x6x4xf32>
  return %o : tensor<1x2x6x4xf32>
}

// The last Nk - Nq keys (the new tokens of a decode step), from the lengths.
// CHECK-LABEL: block-map @last_keys #2: heads 2, nq 6, nk 10, tiles 2x2, head-invariant
// CHECK-NEXT: heads 0-1:
// CHECK-NEXT: ..###
// CHECK-NEXT: ..###
// CHECK-NEXT: ..###
func.func @last_keys(%q: tensor<1x2x6x4xf32>, %k: tensor<1x2x10x4xf32>) -> tensor<1x2x6x4xf32> {
  %o = attn.attention %q, %k, %k mask_fn {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %nq = attn.query_length : index
    %nk = attn.key_length : index
    %start = arith.subi %nk, %nq : index
    %ok = arith.cmpi sge, %j, %start : index
    attn.yield %ok : i1
  } : tensor<1x2x6x4xf32>, tensor<1x2x10x4xf32>, tensor<1x2x10x4xf32> -> tensor<1x2x6x4xf32>
  return %o : tensor<1x2x6x4xf32>
}
