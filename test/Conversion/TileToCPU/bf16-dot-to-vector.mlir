// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=16 bf16-dot=1' -canonicalize -cse | FileCheck %s
// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=16' -convert-attn-tile-to-vector='vector-width=16 bf16-dot=1' | FileCheck %s --check-prefix=HALF
// RUN: not attn-opt %s -split-input-file -attn-to-tile -convert-attn-tile-to-vector='vector-width=4 bf16-dot=1' 2>&1 | FileCheck %s --check-prefix=WIDTH

// convert-attn-tile-to-vector's bf16-dot kernels (vdpbf16ps as
// x86vector.avx512.dot): both operands of each product as bf16 pairs along
// the reduction dimension, one pair per 32-bit lane.

// WIDTH: bf16-dot needs vector-width 8 or 16 (vdpbf16ps), got 4

// CHECK-LABEL: func.func @causal
// The keys packed once per call, before the work items, as pair words by
// key tiles, [B, H, ceil(N / 32), Pp, 32] i32: key jj of tile t, pair p
// holds (K[32 t + jj, 2p], K[32 t + jj, 2p + 1]), keys past N clamped to
// the last, channels past D zero.
// CHECK:       %[[KP:.*]] = scf.forall ({{.*}}) -> (tensor<?x?x?x?x32xi32>)
// CHECK:         linalg.generic
// CHECK:           arith.minsi
// CHECK:           arith.select {{.*}} : i16
// CHECK:           arith.shli {{.*}} : i32
// CHECK:           arith.ori {{.*}} : i32
// The query tile packed once per work item's tile, outside the key loop:
// its f32 values (bf16-exact) rounded back to bf16 pairs.
// CHECK:       scf.forall
// CHECK:         %[[QP:.*]] = linalg.generic {{.*}} outs({{.*}} : tensor<16x?xi32>)
// CHECK:           arith.truncf {{.*}} : f32 to bf16
// CHECK:         attn_tile.for_key_tiles
// Q K^T: 6 rows x 2 key vectors of accumulators, one step per pair: a query
// pair broadcast per row, a key-pair vector per column read from the packed
// panel (lanes of keys past N masked: never written).
// CHECK:           scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:             tensor.extract %[[QP]]
// CHECK:             vector.broadcast {{.*}} : i32 to vector<16xi32>
// CHECK:             vector.bitcast {{.*}} : vector<16xi32> to vector<32xbf16>
// CHECK:             vector.transfer_read %[[KP]]{{.*}} : tensor<?x?x?x?x32xi32>, vector<16xi32>
// CHECK-COUNT-6:     x86vector.avx512.dot {{.*}} : vector<32xbf16> -> vector<16xf32>
// The scale after the sums (the pairs are unscaled bf16).
// CHECK:           arith.mulf {{.*}} : vector<16xf32>
// P V: the weights rounded to bf16 and packed per key tile as pair words
// (two f32 vectors per 32 weights), [16, 16] i32.
// CHECK:           arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK:           vector.shuffle {{.*}} : vector<16xi16>, vector<16xi16>
// CHECK:           vector.bitcast {{.*}} : vector<32xi16> to vector<16xi32>
// CHECK:           vector.transfer_write {{.*}} : vector<16xi32>, tensor<16x16xi32>
// The value pairs interleaved in registers from two rows of the bf16
// source (a shuffle that canonicalizes to vector.interleave), as i16 (a
// bf16 select or shuffle would be legalized through f32 with __truncsfbf2
// calls without avx512bf16); the second row of an odd count is zero.
// CHECK:           scf.for
// CHECK:             vector.transfer_read %arg2{{.*}} : tensor<?x?x?x?xbf16>, vector<16xbf16>
// CHECK:             arith.select {{.*}} : vector<16xi16>
// CHECK:             vector.interleave {{.*}} : vector<16xi16> -> vector<32xi16>
// CHECK:             x86vector.avx512.dot
// A key tile whose values hold an infinity or NaN keeps the portable
// per-pair select (the probe of every key tile, as the f32 kernel).
// CHECK:           attn_tile.accumulate {{.*}} excluding
// CHECK-NOT:     attn_tile.scores

// A key tile of one vector: Q K^T takes the kernel, P V (odd pairs of
// vectors) the f32 one.
// HALF-LABEL: func.func @causal
// HALF:         x86vector.avx512.dot
// HALF:         math.fma {{.*}} : vector<16xf32>
func.func @causal(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                  %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// -----

// f32 operands never take the bf16 kernels.
// CHECK-LABEL: func.func @f32
// CHECK-NOT:   x86vector
// CHECK:       math.fma
// CHECK-NOT:   x86vector
func.func @f32(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
