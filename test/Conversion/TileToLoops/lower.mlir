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
// CHECK:   %[[LOOP:.*]]:3 = scf.for %[[K0:.*]] = %c0{{.*}} to %[[NK:.*]] step %c8{{.*}} iter_args
// The tile's class on the actual lengths: does it cross a sequence end,
// then the causal bound j <= p and the window's p - 7 <= j (p the aligned
// position of the first and last row). Empty tiles skip the body; full
// ones (inside both sequences) run it without the mask.
// CHECK:     %[[KEND:.*]] = arith.addi %[[K0]], %c8
// CHECK:     %[[KCROSS:.*]] = arith.cmpi sgt, %[[KEND]], %[[NK]]
// CHECK:     %[[CROSS:.*]] = arith.ori %[[KCROSS]], %{{.*}} : i1
// CHECK:     %[[CAUSAL_EMPTY:.*]] = arith.cmpi sgt, %[[K0]], %[[PLAST:.*]] : index
// CHECK:     %[[C7:.*]] = arith.constant 7 : index
// CHECK:     arith.subi %{{.*}}, %[[C7]]
// CHECK:     %[[EMPTY:.*]] = arith.ori %[[CAUSAL_EMPTY]], %{{.*}} : i1
// CHECK:     %[[FULL:.*]] = arith.andi %{{.*}}, %{{.*}} : i1
// CHECK:     %[[NOT_FULL:.*]] = arith.xori %[[FULL]], %true
// CHECK:     %[[PARTIAL:.*]] = arith.ori %[[CROSS]], %[[NOT_FULL]]
// CHECK:     %[[VISIT:.*]] = arith.xori %[[EMPTY]], %true
// CHECK:     %[[TILE:.*]]:3 = scf.if %[[VISIT]] -> (tensor<16xf32>, tensor<16xf32>, tensor<16x?xf32>)
// Scores: Q K^T as a reduction over the head dimension, then the scale.
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:       math.fma
// CHECK:     linalg.generic
// CHECK:       arith.mulf
// The mask, for partial tiles only.
// CHECK:     scf.if %[[PARTIAL]]
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
// P V into the rescaled accumulator, excluded pairs skipped.
// CHECK:     linalg.generic
// CHECK:       arith.mulf
// CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:       %[[PV:.*]] = math.fma
// CHECK:       %[[EXCLUDED:.*]] = arith.cmpf oeq
// CHECK:       arith.select %[[EXCLUDED]], %{{.*}}, %[[PV]]
// CHECK:       scf.yield
// CHECK:     } else {
// CHECK:       scf.yield %{{.*}}, %{{.*}}, %{{.*}} : tensor<16xf32>, tensor<16xf32>, tensor<16x?xf32>
// CHECK:     scf.yield %[[TILE]]#0, %[[TILE]]#1, %[[TILE]]#2
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
// Without a mask a tile is partial only where it crosses a sequence end
// and no tile is skipped.
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %{{.*}} step %c8
// CHECK:   %[[KEND:.*]] = arith.addi %[[K0]], %c8
// CHECK:   %[[KCROSS:.*]] = arith.cmpi sgt, %[[KEND]]
// CHECK:   %[[QCROSS:.*]] = arith.cmpi sgt
// CHECK:   %[[CROSS:.*]] = arith.ori %[[KCROSS]], %[[QCROSS]]
// CHECK:   %[[PARTIAL:.*]] = arith.ori %[[CROSS]], %{{.*}} : i1
// CHECK:   %[[VISIT:.*]] = arith.xori %false, %true
// CHECK:   scf.if %[[VISIT]]
// CHECK:     scf.if %[[PARTIAL]]
func.func @dense(%q: tensor<1x1x20x4xf32>, %k: tensor<1x1x20x4xf32>,
                 %v: tensor<1x1x20x4xf32>) -> tensor<1x1x20x4xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<1x1x20x4xf32>, tensor<1x1x20x4xf32>, tensor<1x1x20x4xf32>
         -> tensor<1x1x20x4xf32>
  return %o : tensor<1x1x20x4xf32>
}
