// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(convert-attn-to-cpu)' | FileCheck %s

// Head maps: K and V heads come from the maps, clamped into range, once per
// work item.
// CHECK-LABEL: func.func @head_maps
// CHECK-SAME:    %[[GK:[a-z0-9]+]]: tensor<4xi32>, %[[GV:[a-z0-9]+]]: tensor<2x4xi32>
// CHECK:         scf.for
// CHECK:           %[[RK:.*]] = tensor.extract %[[GK]]
// CHECK:           %[[IK:.*]] = arith.index_cast %[[RK]]
// CHECK:           %[[CK:.*]] = arith.minsi %[[IK]], %{{.*}} : index
// CHECK:           arith.maxsi %[[CK]], %{{.*}} : index
// CHECK:           tensor.extract %[[GV]]
// CHECK:           arith.minsi
// CHECK:           arith.maxsi
// CHECK-NOT:     attn.attention
func.func @head_maps(%q: tensor<2x4x40x8xf32>, %k: tensor<2x2x40x8xf32>, %v: tensor<2x3x40x8xf32>,
                     %gk: tensor<4xi32>, %gv: tensor<2x4xi32>) -> tensor<2x4x40x8xf32> {
  %o = attn.attention %q, %k, %v k_head_map(%gk : tensor<4xi32>) v_head_map(%gv : tensor<2x4xi32>)
       mask(#attn.causal)
       : tensor<2x4x40x8xf32>, tensor<2x2x40x8xf32>, tensor<2x3x40x8xf32> -> tensor<2x4x40x8xf32>
  return %o : tensor<2x4x40x8xf32>
}

// -----

// Softmax with weight_mod: two walks over the tile list sharing one copy of
// the score code. Walk 0 updates the statistics (no weight_mod, no P V
// product); walk 1 applies the region to kept entries only, then
// accumulates. The sink folds in after walk 0, the output gate scales the
// finalized row.
// CHECK-LABEL: func.func @weight_mod_two_passes
// CHECK-SAME:    %[[SINK:[a-z0-9]+]]: tensor<2xf32>, %[[GATE:[a-z0-9]+]]: tensor<1x2x1xf32>
// CHECK:         scf.for %[[WALK:.*]] = %c0{{.*}} to %c2{{.*}} step
// CHECK:           %[[SECOND:.*]] = arith.cmpi eq, %[[WALK]], %c1
// CHECK:           scf.for %{{.*}} = %{{[0-9]+}} to %{{[0-9]+}} step
// CHECK:             scf.if %[[SECOND]] {
// CHECK:               arith.cmpf one
// CHECK:               scf.if
// CHECK:                 math.tanh %{{.*}} : f32
// CHECK:             } else {
// CHECK-NOT:           math.tanh
// CHECK:               arith.maximumf
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[WALK]], %c0
// CHECK:           scf.if %[[FIRST]] {
// CHECK:             tensor.extract %[[SINK]]
// CHECK:         tensor.extract %[[GATE]]
func.func @weight_mod_two_passes(%q: tensor<1x2x40x8xf32>, %k: tensor<1x2x40x8xf32>, %v: tensor<1x2x40x8xf32>,
                                 %s: tensor<2xf32>, %g: tensor<1x2x1xf32>) -> tensor<1x2x40x8xf32> {
  %o = attn.attention %q, %k, %v sink_logits(%s : tensor<2xf32>) output_gate(%g : tensor<1x2x1xf32>)
       mask(#attn.causal)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %t = math.tanh %r : f32
         %y = arith.mulf %w, %t : f32
         attn.yield %y : f32
       }
       : tensor<1x2x40x8xf32>, tensor<1x2x40x8xf32>, tensor<1x2x40x8xf32> -> tensor<1x2x40x8xf32>
  return %o : tensor<1x2x40x8xf32>
}

// -----

// A pointwise normalization without l1 keeps one pass: weight_mod runs on
// the tile's weights before the P V product.
// CHECK-LABEL: func.func @weight_mod_one_pass
// CHECK:         scf.for
// CHECK:           math.exp %{{.*}} : vector<8xf32>
// CHECK:           arith.mulf %{{.*}} : f32
// CHECK:           math.fma %{{.*}} : vector<8xf32>
func.func @weight_mod_one_pass(%q: tensor<1x1x20x8xf32>, %k: tensor<1x1x20x8xf32>, %v: tensor<1x1x20x8xf32>) -> tensor<1x1x20x8xf32> {
  %o = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid>)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %y = arith.mulf %w, %w : f32
         attn.yield %y : f32
       }
       : tensor<1x1x20x8xf32>, tensor<1x1x20x8xf32>, tensor<1x1x20x8xf32> -> tensor<1x1x20x8xf32>
  return %o : tensor<1x1x20x8xf32>
}
