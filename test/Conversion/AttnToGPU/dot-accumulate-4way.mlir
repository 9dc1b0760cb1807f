// RUN: attn-opt %s -split-input-file --attn-gpu-dot-accumulate-4way | FileCheck %s
// The INT8 score stage's word products (acc + sum of the products of two
// sign-extended vector<4xi8> words) become dp4a; other shapes stay.

// CHECK-LABEL: func.func @word
// CHECK-SAME:    (%[[A:.*]]: vector<4xi8>, %[[B:.*]]: vector<4xi8>, %[[ACC:.*]]: i32)
// CHECK-NEXT:    %[[R:.*]] = nvvm.dot.accumulate.4way %[[A]] <signed>, %[[B]] <signed>, %[[ACC]] : vector<4xi8>, vector<4xi8>
// CHECK-NEXT:    return %[[R]] : i32
func.func @word(%a: vector<4xi8>, %b: vector<4xi8>, %acc: i32) -> i32 {
  %ea = arith.extsi %a : vector<4xi8> to vector<4xi32>
  %eb = arith.extsi %b : vector<4xi8> to vector<4xi32>
  %p = arith.muli %ea, %eb : vector<4xi32>
  %r = vector.reduction <add>, %p, %acc : vector<4xi32> into i32
  return %r : i32
}

// -----

// In a loop (the score stage's reduction over the head dim).
// CHECK-LABEL: func.func @loop
// CHECK:         scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (i32)
// CHECK:           %[[A:.*]] = vector.load
// CHECK:           %[[B:.*]] = vector.load
// CHECK:           %[[R:.*]] = nvvm.dot.accumulate.4way %[[A]] <signed>, %[[B]] <signed>, %[[ACC]]
// CHECK:           scf.yield %[[R]] : i32
// CHECK-NOT:     vector.reduction
func.func @loop(%q: memref<16x16xi8>, %k: memref<16x20xi8>, %i: index, %j: index) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0 : i32
  %dot = scf.for %w = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (i32) {
    %x = arith.muli %w, %c4 : index
    %a = vector.load %q[%i, %x] {alignment = 4 : i64} : memref<16x16xi8>, vector<4xi8>
    %b = vector.load %k[%j, %x] {alignment = 4 : i64} : memref<16x20xi8>, vector<4xi8>
    %ea = arith.extsi %a : vector<4xi8> to vector<4xi32>
    %eb = arith.extsi %b : vector<4xi8> to vector<4xi32>
    %p = arith.muli %ea, %eb : vector<4xi32>
    %r = vector.reduction <add>, %p, %acc : vector<4xi32> into i32
    scf.yield %r : i32
  }
  return %dot : i32
}

// -----

// Not dp4a: zero extension, no accumulator, 8 bytes, another combining kind.
// CHECK-LABEL: func.func @others
// CHECK-NOT:     nvvm.dot.accumulate.4way
// CHECK-COUNT-4: vector.reduction
func.func @others(%a: vector<4xi8>, %b: vector<4xi8>, %c: vector<8xi8>, %acc: i32) -> (i32, i32, i32, i32) {
  %za = arith.extui %a : vector<4xi8> to vector<4xi32>
  %zb = arith.extui %b : vector<4xi8> to vector<4xi32>
  %zp = arith.muli %za, %zb : vector<4xi32>
  %r0 = vector.reduction <add>, %zp, %acc : vector<4xi32> into i32
  %ea = arith.extsi %a : vector<4xi8> to vector<4xi32>
  %eb = arith.extsi %b : vector<4xi8> to vector<4xi32>
  %p = arith.muli %ea, %eb : vector<4xi32>
  %r1 = vector.reduction <add>, %p : vector<4xi32> into i32
  %ec = arith.extsi %c : vector<8xi8> to vector<8xi32>
  %p8 = arith.muli %ec, %ec : vector<8xi32>
  %r2 = vector.reduction <add>, %p8, %acc : vector<8xi32> into i32
  %r3 = vector.reduction <maxsi>, %p, %acc : vector<4xi32> into i32
  return %r0, %r1, %r2, %r3 : i32, i32, i32, i32
}
