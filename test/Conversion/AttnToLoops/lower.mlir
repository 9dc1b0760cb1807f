// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(convert-attn-to-loops))' | FileCheck %s

// Causal softmax: parallel over (b, h, i), online softmax over j, the mask
// compares j with the bottom-right aligned position i + Nk - Nq.
// CHECK-LABEL: func.func @causal
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x2x5x8xf32>
// CHECK:         scf.parallel (%[[B:.*]], %[[H:.*]], %[[I:.*]]) =
// CHECK:           %[[P:.*]] = arith.addi %[[I]], %{{.*}} : index
// CHECK:           %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:           scf.for %[[J:.*]] = {{.*}} iter_args(%[[M:.*]] = %[[NEGINF]], %{{.*}} = {{.*}}) -> (f32, f32)
// CHECK:             %[[KEEP:.*]] = arith.cmpi sle, %[[J]], %[[P]] : index
// CHECK:             scf.if %[[KEEP]] -> (f32, f32)
// CHECK:               math.fma
// CHECK:               %[[NEWMAX:.*]] = arith.maximumf %[[M]]
// While every kept score is -inf the shift is 0, not -inf (no NaN).
// CHECK:               %[[FINITE:.*]] = arith.cmpf ogt, %[[NEWMAX]], %{{.*}} : f32
// CHECK:               %[[SHIFT:.*]] = arith.select %[[FINITE]], %[[NEWMAX]], %{{.*}} : f32
// CHECK:               arith.subf %[[M]], %[[SHIFT]] : f32
// CHECK:               math.exp
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
func.func @causal(%q: tensor<1x2x5x4xf32>, %k: tensor<1x1x7x4xf32>, %v: tensor<1x1x7x8xf32>) -> tensor<1x2x5x8xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x5x4xf32>, tensor<1x1x7x4xf32>, tensor<1x1x7x8xf32> -> tensor<1x2x5x8xf32>
  return %o : tensor<1x2x5x8xf32>
}

// -----

// bf16 inputs are widened to f32, accumulated in an f32 scratch buffer and
// narrowed on store; softcap is tanh-based; the lse result is m + log(l).
// CHECK-LABEL: func.func @bf16_softcap_lse
// CHECK:         %[[OUT:.*]] = memref.alloc({{.*}}) : memref<?x?x?x?xbf16>
// CHECK:         %[[ACC:.*]] = memref.alloc({{.*}}) : memref<?x?x?x?xf32>
// CHECK:         %[[LSE:.*]] = memref.alloc({{.*}}) : memref<?x?x?xf32>
// CHECK:         arith.extf {{.*}} : bf16 to f32
// CHECK:         math.tanh
// CHECK-DAG:     math.log
// CHECK-DAG:     arith.truncf {{.*}} : f32 to bf16
// CHECK:         bufferization.to_tensor %[[OUT]]
// CHECK:         bufferization.to_tensor %[[LSE]]
func.func @bf16_softcap_lse(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> (tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>) {
  %o, %l = attn.attention %q, %k, %v score_mods([#attn.softcap<30.0>])
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
}

// -----

// Region bodies are inlined per (i, j); captures become reads of the
// captured tensor.
// CHECK-LABEL: func.func @regions
// CHECK:         scf.for
// CHECK:           arith.remui
// CHECK:           scf.if
// CHECK:             tensor.extract %arg3
// CHECK:             arith.addf
func.func @regions(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>, %t: tensor<?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%t : tensor<?xf32>)
    mask_fn {
    ^bb0(%b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
      %c2 = arith.constant 2 : index
      %r = arith.remui %j, %c2 : index
      %c0 = arith.constant 0 : index
      %ok = arith.cmpi eq, %r, %c0 : index
      attn.yield %ok : i1
    }
    score_mod {
    ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
      %x = tensor.extract %tt[%h] : tensor<?xf32>
      %y = arith.addf %s, %x : f32
      attn.yield %y : f32
    }
    : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// Sigmoid with l1: no running max, weights summed, division by the sum.
// CHECK-LABEL: func.func @sigmoid_l1
// CHECK-NOT:     arith.maximumf
// CHECK:         math.exp
// CHECK:         arith.divf
func.func @sigmoid_l1(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid, l1>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
