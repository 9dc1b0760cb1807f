// The chunks of causal linear attention transpose their key tile once
// ([D, chunk], blocks of width x width in registers) and copy the channels
// past the last whole vector one by one: both are loops over the chunk's
// key positions, so the vector code does not grow with the chunk (an
// unrolled body at the bound linear-chunk=1024, 64 transposed blocks of
// 64 shuffles and 1024 scalar inserts per channel, made One-Shot
// Bufferize's analysis run for minutes).
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=64},convert-attn-tile-to-vector{vector-width=16}))' | grep -c vector.shuffle | FileCheck %s --check-prefix=SHUFFLES
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=1024},convert-attn-tile-to-vector{vector-width=16}))' | grep -c vector.shuffle | FileCheck %s --check-prefix=SHUFFLES
// RUN: attn-opt %s --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=1024},convert-attn-tile-to-vector{vector-width=16}))' | FileCheck %s

// One block of 16 x 16 transposed in registers: 4 rounds of 16 shuffles.
// SHUFFLES: {{^}}64{{$}}

// CHECK-LABEL: func.func @relu_causal
// The key positions of the chunk, by whole vectors, then one by one.
// CHECK: scf.for %{{.*}} = %{{.*}} to %c1024{{.*}} step %c16{{.*}} -> (tensor<?x1024xf32>)
// CHECK: vector.shuffle
// CHECK: scf.for %{{.*}} = %{{.*}} to %c1024{{.*}} step %c1{{.*}} -> (tensor<?x1024xf32>)
// CHECK: tensor.insert
func.func @relu_causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                       %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v feature_map(#attn.feature_map<relu>)
         mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
