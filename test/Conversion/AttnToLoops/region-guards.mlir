// RUN: attn-opt %s --convert-attn-to-loops | FileCheck %s

// Inlined regions cannot fault on data: capture indices are clamped into
// the capture, integer divisors that are 0 (or -1 with INT_MIN) become 1.
// CHECK-LABEL: func.func @guards
// CHECK-SAME:    %[[T:[a-z0-9]+]]: tensor<4xf32>
// CHECK:         %[[LAST:.*]] = arith.subi %c4{{.*}}, %c1
// CHECK:         %[[LO:.*]] = arith.minsi %{{.*}}, %[[LAST]] : index
// CHECK:         %[[IDX:.*]] = arith.maxsi %[[LO]], %c0
// CHECK:         tensor.extract %[[T]][%[[IDX]]]
// CHECK:         %[[ZERO:.*]] = arith.cmpi eq, %[[DEN:.*]], %c0{{.*}} : i32
// CHECK:         %[[M1:.*]] = arith.cmpi eq, %[[DEN]], %c-1{{.*}} : i32
// CHECK:         %[[MIN:.*]] = arith.cmpi eq, %{{.*}}, %c-2147483648{{.*}} : i32
// CHECK:         %[[OVF:.*]] = arith.andi %[[M1]], %[[MIN]]
// CHECK:         %[[BAD:.*]] = arith.ori %[[ZERO]], %[[OVF]]
// CHECK:         %[[SAFE:.*]] = arith.select %[[BAD]], %c1{{.*}}, %[[DEN]] : i32
// CHECK:         arith.divsi %{{.*}}, %[[SAFE]] : i32
func.func @guards(%q: tensor<1x1x8x4xf32>, %t: tensor<4xf32>, %d: tensor<1xi32>) -> tensor<1x1x8x4xf32> {
  %o = attn.attention %q, %q, %q captures(%t, %d : tensor<4xf32>, tensor<1xi32>)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<4xf32>, %dd: tensor<1xi32>):
         %c0 = arith.constant 0 : index
         %x = tensor.extract %tt[%j] : tensor<4xf32>
         %den = tensor.extract %dd[%c0] : tensor<1xi32>
         %ji = arith.index_cast %j : index to i32
         %qq = arith.divsi %ji, %den : i32
         %qf = arith.sitofp %qq : i32 to f32
         %y = arith.addf %x, %qf : f32
         %r = arith.addf %s, %y : f32
         attn.yield %r : f32
       }
       : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}
