// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(convert-attn-to-loops))' | FileCheck %s

// Lowering of the wave-1 extensions by convert-attn-to-loops (numerics are
// checked end to end by test/zoo/wave1-*.mlir).

// Head maps: the key head is read from k_head_map[b, h], the value head from
// v_head_map[h]; both are clamped into range before use.
// CHECK-LABEL: func.func @head_maps
// CHECK:         scf.parallel (%[[B:.*]], %[[H:.*]], %[[I:.*]]) =
// CHECK:           %[[KR:.*]] = tensor.extract %{{.*}}[%[[B]], %[[H]]] : tensor<2x3xi32>
// CHECK:           %[[KI:.*]] = arith.index_cast %[[KR]] : i32 to index
// CHECK:           %[[KMIN:.*]] = arith.minsi %[[KI]]
// CHECK:           %[[HK:.*]] = arith.maxsi %[[KMIN]]
// CHECK:           %[[VR:.*]] = tensor.extract %{{.*}}[%[[H]]] : tensor<3xi32>
// CHECK:           %[[VI:.*]] = arith.index_cast %[[VR]] : i32 to index
// CHECK:           %[[VMIN:.*]] = arith.minsi %[[VI]]
// CHECK:           %[[HV:.*]] = arith.maxsi %[[VMIN]]
// CHECK:           tensor.extract %{{.*}}[%[[B]], %[[HK]], %{{.*}}, %{{.*}}] : tensor<2x2x5x4xf32>
// CHECK:           tensor.extract %{{.*}}[%[[B]], %[[HV]], %{{.*}}, %{{.*}}] : tensor<2x4x5x8xf32>
func.func @head_maps(%q: tensor<2x3x5x4xf32>, %k: tensor<2x2x5x4xf32>, %v: tensor<2x4x5x8xf32>,
                     %km: tensor<2x3xi32>, %vm: tensor<3xi32>) -> tensor<2x3x5x8xf32> {
  %o = attn.attention %q, %k, %v k_head_map(%km : tensor<2x3xi32>) v_head_map(%vm : tensor<3xi32>)
       : tensor<2x3x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x4x5x8xf32> -> tensor<2x3x5x8xf32>
  return %o : tensor<2x3x5x8xf32>
}

// -----

// Sink logit: after the key loop, m' = max(m, sink), the sum gets
// exp(sink - m') and the accumulator is rescaled by exp(m - m'); the output
// gate multiplies the row.
// CHECK-LABEL: func.func @sink_and_gate
// CHECK:         scf.parallel (%[[B:.*]], %[[H:.*]], %[[I:.*]]) =
// CHECK:           %[[SINK:.*]] = tensor.extract %{{.*}}[%[[H]]] : tensor<2xf32>
// CHECK:           %[[LOOP:.*]]:2 = scf.for
// CHECK:           %[[NEWMAX:.*]] = arith.maximumf %[[LOOP]]#0, %[[SINK]] : f32
// CHECK:           arith.subf %[[SINK]], %{{.*}} : f32
// CHECK:           math.fma %[[LOOP]]#1
// CHECK:           %[[G:.*]] = tensor.extract %{{.*}}[%{{.*}}, %[[H]], %[[I]]] : tensor<1x2x5xf32>
// CHECK:           arith.mulf %{{.*}}, %[[G]] : f32
func.func @sink_and_gate(%q: tensor<1x2x5x4xf32>, %s: tensor<2xf32>, %g: tensor<1x2x5xf32>) -> tensor<1x2x5x4xf32> {
  %o = attn.attention %q, %q, %q sink_logits(%s : tensor<2xf32>) output_gate(%g : tensor<1x2x5xf32>)
       mask(#attn.causal)
       : tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32> -> tensor<1x2x5x4xf32>
  return %o : tensor<1x2x5x4xf32>
}

// -----

// weight_mod with softmax: two passes over the keys. Pass 1 carries only
// (max, sum); pass 2 recomputes the score, forms exp(s - m) / l, applies the
// region to (w, raw score) and accumulates without rescaling.
// CHECK-LABEL: func.func @weight_mod_two_pass
// CHECK:         scf.parallel
// CHECK:           %[[STATS:.*]]:2 = scf.for {{.*}} -> (f32, f32)
// CHECK-NOT:         memref.store
// CHECK:             scf.yield
// CHECK:           %[[DIV:.*]] = arith.divf %{{.*}}, %[[STATS]]#1 : f32
// CHECK:           %[[INV:.*]] = arith.select %{{.*}}, %[[DIV]], %{{.*}} : f32
// CHECK:           scf.for
// CHECK:             scf.if
// CHECK:               %[[RAW:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:               %[[E:.*]] = math.exp
// CHECK:               %[[W:.*]] = arith.mulf %[[E]], %[[INV]] : f32
// CHECK:               %[[WP:.*]] = math.copysign %[[W]], %[[RAW]] : f32
// CHECK:               scf.for
// CHECK:                 math.fma %[[WP]]
func.func @weight_mod_two_pass(%q: tensor<1x1x5x4xf32>) -> tensor<1x1x5x4xf32> {
  %o = attn.attention %q, %q, %q mask(#attn.causal)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %x = math.copysign %w, %r : f32
         attn.yield %x : f32
       }
       : tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32> -> tensor<1x1x5x4xf32>
  return %o : tensor<1x1x5x4xf32>
}

// -----

// weight_mod without a normalizer (sigmoid, no l1): one pass, the region is
// applied to each weight as it is produced.
// CHECK-LABEL: func.func @weight_mod_one_pass
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} -> (f32, f32)
// CHECK:             scf.if
// CHECK:               math.exp
// CHECK:               %[[W:.*]] = arith.divf
// CHECK:               %[[WP:.*]] = arith.mulf %[[W]], %{{.*}} : f32
// CHECK:               scf.for
// CHECK:                 math.fma %[[WP]]
// CHECK-NOT:       math.copysign
func.func @weight_mod_one_pass(%q: tensor<1x1x5x4xf32>) -> tensor<1x1x5x4xf32> {
  %o = attn.attention %q, %q, %q normalization(#attn.normalize<sigmoid>)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %x = arith.mulf %w, %r : f32
         attn.yield %x : f32
       }
       : tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32> -> tensor<1x1x5x4xf32>
  return %o : tensor<1x1x5x4xf32>
}
