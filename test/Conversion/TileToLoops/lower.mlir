// RUN: attn-opt %s -attn-to-tile='tile-q=16 tile-kv=8' -convert-attn-tile-to-loops | FileCheck %s
// RUN: attn-opt %s -attn-cpu-tile-loops | FileCheck %s --check-prefix=LLVM

// The portable lowering of the tile program: tile ops become linalg ops
// and tensor.generate on tensors, the key loop an scf.for whose partial
// flag is computed per tile, and nothing of attn_tile is left.

// CHECK-LABEL: func.func @window
// CHECK-NOT: attn_tile.
// CHECK: scf.forall
// The query tile: rows past Nq read as 0.
// CHECK:   tensor.generate
// CHECK:     arith.cmpi slt
// CHECK:     scf.if
// CHECK:       tensor.extract %arg0
// CHECK:   %[[LOOP:.*]]:3 = scf.for %[[K0:.*]] = %c0{{.*}} to %{{.*}} step %c8{{.*}} iter_args
// Scores: Q K^T as a reduction over the head dimension, then the scale.
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:       math.fma
// CHECK:     linalg.generic
// CHECK:       arith.mulf
// The mask under the tile's partial flag (always true for a masked spec).
// CHECK:     scf.if %true
// CHECK:       linalg.generic
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000
// CHECK:         arith.select %{{.*}}, %{{.*}}, %[[NEGINF]]
// Online update: row max, offset and alpha, weights, row sum, new sum.
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:       arith.maximumf
// CHECK:     linalg.generic
// CHECK:       arith.maximumf
// CHECK:       math.exp
// CHECK:     linalg.generic
// CHECK:       math.exp
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:       arith.addf
// CHECK:     linalg.generic
// CHECK:       math.fma
// P V into the rescaled accumulator.
// CHECK:     linalg.generic
// CHECK:       arith.mulf
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:       math.fma
// CHECK:     scf.yield
// Finalization: 1 / l (0 for an empty row).
// CHECK:   linalg.generic
// CHECK:     arith.divf
// CHECK:     arith.select
// CHECK:   scf.forall.in_parallel

// LLVM-LABEL: llvm.func @window
// LLVM-NOT: attn_tile.
// LLVM-NOT: memrefCopy
func.func @window(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 7, right = 0>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @dense
// Without a mask a tile is partial only where it crosses a sequence end.
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %{{.*}} step %c8
// CHECK:   %[[KEND:.*]] = arith.addi %[[K0]], %c8
// CHECK:   %[[KCROSS:.*]] = arith.cmpi sgt, %[[KEND]]
// CHECK:   %[[QCROSS:.*]] = arith.cmpi sgt
// CHECK:   %[[PARTIAL:.*]] = arith.ori %[[KCROSS]], %[[QCROSS]]
// CHECK:   scf.if %[[PARTIAL]]
func.func @dense(%q: tensor<1x1x20x4xf32>, %k: tensor<1x1x20x4xf32>,
                 %v: tensor<1x1x20x4xf32>) -> tensor<1x1x20x4xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<1x1x20x4xf32>, tensor<1x1x20x4xf32>, tensor<1x1x20x4xf32>
         -> tensor<1x1x20x4xf32>
  return %o : tensor<1x1x20x4xf32>
}
