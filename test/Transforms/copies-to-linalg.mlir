// RUN: attn-opt %s --attn-copies-to-linalg --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-copies-to-linalg='vector-width=0' --split-input-file | FileCheck %s --check-prefix=LINALG

// A tile into a strided view of the output: rows of 8-element vector moves,
// whole vectors then one masked vector for the rest of a row.
// CHECK-LABEL: func.func @tile_into_output
// CHECK:         scf.for %[[ROW:.*]] = %c0 to %{{.*}} step %c1
// CHECK:           scf.for %[[COL:.*]] = %c0 to %{{.*}} step %c8
// CHECK:             %[[V:.*]] = vector.transfer_read %arg0[%[[ROW]], %[[COL]]], %{{.*}} {in_bounds = [true]} : memref<64x?xf32>, vector<8xf32>
// CHECK:             vector.transfer_write %[[V]], %arg1[%[[ROW]], %[[COL]]] {in_bounds = [true]}
// CHECK:           scf.if
// CHECK:             vector.transfer_read %arg0{{.*}} : memref<64x?xf32>, vector<8xf32>
// CHECK-NOT:         in_bounds
// CHECK:             vector.transfer_write
// CHECK-NOT:     memref.copy
// CHECK-NOT:     linalg.copy
// LINALG-LABEL: func.func @tile_into_output
// LINALG:         linalg.copy
func.func @tile_into_output(%tile: memref<64x?xf32>,
                            %out: memref<64x?xf32, strided<[?, 1], offset: ?>>) {
  memref.copy %tile, %out : memref<64x?xf32> to memref<64x?xf32, strided<[?, 1], offset: ?>>
  return
}

// -----

// A last dimension that is not contiguous stays a linalg.copy.
// CHECK-LABEL: func.func @strided_columns
// CHECK:         linalg.copy
// CHECK-NOT:     vector.transfer_read
func.func @strided_columns(%a: memref<4x?xf32, strided<[?, ?], offset: ?>>,
                           %b: memref<4x?xf32>) {
  memref.copy %a, %b : memref<4x?xf32, strided<[?, ?], offset: ?>> to memref<4x?xf32>
  return
}
