// RUN: attn-opt %s -convert-attn-tile-to-loops | FileCheck %s

// attn_tile.unpack_int4, computed once per call as a linalg.generic over an
// empty tensor: from packed bytes, channel x is the low nibble of byte
// x / 2 for even x (moved up by 4, then shifted back arithmetically, which
// sign-extends) and the high nibble for odd x (shifted by 4); from an i4
// tensor, a sign extension. Either way -8 is read as -7.

// CHECK-LABEL: func.func @packed
// CHECK: %[[BYTES:[a-z0-9_]+]] = tensor.dim %{{.*}}, %c3 : tensor<?x?x?x?xi8>
// CHECK: %[[D:[0-9]+]] = arith.muli %[[BYTES]], %{{.*}} : index
// CHECK: tensor.empty({{.*}}%[[D]]) : tensor<?x?x?x?xi8>
// CHECK: linalg.generic
// CHECK: arith.divui
// CHECK: tensor.extract
// CHECK: arith.remui
// CHECK: arith.shli
// CHECK: arith.shrsi
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i8
func.func @packed(%x: tensor<?x?x?x?xi8>) -> tensor<?x?x?x?xi8> {
  %v = attn_tile.unpack_int4 %x : tensor<?x?x?x?xi8> -> tensor<?x?x?x?xi8>
  return %v : tensor<?x?x?x?xi8>
}

// CHECK-LABEL: func.func @unpacked
// CHECK: linalg.generic
// CHECK: tensor.extract
// CHECK: arith.extsi %{{.*}} : i4 to i8
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i8
func.func @unpacked(%x: tensor<1x2x8x6xi4>) -> tensor<1x2x8x6xi8> {
  %v = attn_tile.unpack_int4 %x : tensor<1x2x8x6xi4> -> tensor<1x2x8x6xi8>
  return %v : tensor<1x2x8x6xi8>
}
