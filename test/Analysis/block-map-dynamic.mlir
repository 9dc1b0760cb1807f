// RUN: attn-opt %s --test-attn-block-map="tile-q=3 tile-kv=4 nq=9 nk=9 heads=2" -o /dev/null | FileCheck %s
// RUN: not attn-opt %s --test-attn-block-map -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not attn-opt %s --test-attn-block-map="nq=9 nk=10 heads=2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NB

// Dynamic shapes take their extents from the options; the batch stays
// unknown.

// CHECK-LABEL: block-map @dynamic #0: heads 2, nq 9, nk 9, tiles 3x4, head-invariant
// CHECK-NEXT: heads 0-1:
// CHECK-NEXT: +..
// CHECK-NEXT: #+.
// CHECK-NEXT: #++
// CHECK-NEXT: density 0.555556 exact, 3 empty, 2 full, 4 partial
// ERR: error: test-attn-block-map: dynamic extents need the heads, nq and nk options
// NB: error: block classification: #attn.neighborhood needs equal query and key lengths, got 9 and 10
func.func @dynamic(%q: tensor<?x?x?x4xf32>) -> tensor<?x?x?x4xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       : tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32> -> tensor<?x?x?x4xf32>
  return %o : tensor<?x?x?x4xf32>
}

// CHECK-LABEL: block-map @neighborhood_inferred #1: heads 2, nq 9, nk 9, tiles 3x4
// CHECK-NEXT: heads 0-1:
// CHECK-NEXT: +..
// CHECK-NEXT: ++.
// CHECK-NEXT: .++
func.func @neighborhood_inferred(%q: tensor<?x?x?x4xf32>, %k: tensor<?x?x?x4xf32>) -> tensor<?x?x?x4xf32> {
  %o = attn.attention %q, %k, %k mask(#attn.neighborhood<grid = [-1], kernel = [3], causal = [true]>)
       : tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32> -> tensor<?x?x?x4xf32>
  return %o : tensor<?x?x?x4xf32>
}
