// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=8' -attn-pack-int4-arguments -verify-diagnostics | FileCheck %s

// An i4 argument becomes its packed bytes (i8, half the head dimension):
// attn_tile.unpack_int4 reads the bytes, and the head dimension the
// program reads (the 1/sqrt(D) scale) is twice the packed extent.
// CHECK-LABEL: func.func @int4_operands
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<?x?x?x?xi8>, %[[K:[a-z0-9]+]]: tensor<?x?x?x?xi8>, %{{.*}}: tensor<?x?x?x?xf32>
// CHECK: %[[BYTES:[a-z0-9_]+]] = tensor.dim %[[Q]], %c3{{[_0-9]*}} : tensor<?x?x?x?xi8>
// CHECK-NEXT: %[[TWO:[a-z0-9_]+]] = arith.constant 2 : index
// CHECK-NEXT: %[[D:[0-9]+]] = arith.muli %[[BYTES]], %[[TWO]] : index
// CHECK-NEXT: arith.index_castui %[[D]]
// CHECK: attn_tile.unpack_int4 %[[Q]] : tensor<?x?x?x?xi8> -> tensor<?x?x?x?xi8>
// CHECK: attn_tile.unpack_int4 %[[K]] : tensor<?x?x?x?xi8> -> tensor<?x?x?x?xi8>
func.func @int4_operands(%q: tensor<?x?x?x?xi4>, %k: tensor<?x?x?x?xi4>, %v: tensor<?x?x?x?xf32>,
                         %sq: tensor<1x1x1xf32>, %sk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = int4, k_block = 32>)
       : tensor<?x?x?x?xi4>, tensor<?x?x?x?xi4>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// Static shapes: the argument type is the packed one.
// CHECK-LABEL: func.func @static_key
// CHECK-SAME: %{{.*}}: tensor<1x2x8x16xf32>, %[[K:[a-z0-9]+]]: tensor<1x2x8x8xi8>
// CHECK: attn_tile.unpack_int4 %[[K]] : tensor<1x2x8x8xi8> -> tensor<1x2x8x16xi8>
func.func @static_key(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xi4>, %s: tensor<1x1x1xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %q k_scale(%s : tensor<1x1x1xf32>) quantization(#attn.quantized_qk<scheme = int4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xi4>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Only unpack_int4 and tensor.dim may read a packed argument.
func.func @other_user(%x: tensor<2x4xi4>) -> tensor<2x4xi4> {
  // expected-error @+1 {{reads the i4 argument 0, which is passed packed two values per byte: only attn_tile.unpack_int4 (attn-to-tile's form of a pre-quantized INT4 operand) and tensor.dim at a constant index may read it}}
  return %x : tensor<2x4xi4>
}

// -----

// expected-error @+1 {{argument 0 is an i4 tensor whose last extent 5 is odd: i4 arguments are packed two values per byte along it}}
func.func @odd(%x: tensor<2x5xi4>) {
  return
}

// -----

// expected-error @+1 {{argument 0 is a rank-0 i4 tensor: i4 arguments are packed two per byte along their last dimension}}
func.func @scalar(%x: tensor<i4>) {
  return
}
