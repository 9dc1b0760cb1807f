// RUN: attn-opt %s -convert-attn-tile-to-loops | FileCheck %s

// The linear-attention tile ops: phi elementwise, the log-decay prefix as
// a sequential f64 scan, and the decay factor exp(prefix[p] - prefix[j])
// applied where the key is at or before the aligned query.

// CHECK-LABEL: func.func @feature_map
// CHECK: linalg.generic
// CHECK:   %[[POS:.*]] = arith.cmpf ogt, %[[X:.*]], %cst
// CHECK:   %[[P1:.*]] = arith.addf %[[X]], %cst
// CHECK:   %[[E:.*]] = math.exp %[[X]]
// CHECK:   arith.select %[[POS]], %[[P1]], %[[E]]
// CHECK-NOT: attn_tile
func.func @feature_map(%t: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %f = attn_tile.feature_map %t map(#attn.feature_map<elu_plus_one>) : tensor<16x32xf32>
  return %f : tensor<16x32xf32>
}

// CHECK-LABEL: func.func @decay_prefix
// CHECK: %[[INIT:.*]] = tensor.empty(%arg3) : tensor<?xf64>
// CHECK: scf.for %[[X:.*]] = %c0 to %arg3 step %c1 iter_args(%[[T:.*]] = %[[INIT]], %[[SUM:.*]] = %cst) -> (tensor<?xf64>, f64)
// CHECK:   tensor.extract %arg0[
// CHECK:   %[[A:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK:   %[[LOG:.*]] = math.log %[[A]] : f64
// CHECK:   %[[NEXT:.*]] = arith.addf %[[SUM]], %[[LOG]] : f64
// CHECK:   %[[INS:.*]] = tensor.insert %[[NEXT]] into %[[T]][%[[X]]]
// CHECK:   scf.yield %[[INS]], %[[NEXT]]
func.func @decay_prefix(%a: tensor<1x?x?xf32>, %b: index, %h: index, %nk: index) -> tensor<?xf64> {
  %c = attn_tile.decay_prefix %a[%b, %h] length %nk : tensor<1x?x?xf32> -> tensor<?xf64>
  return %c : tensor<?xf64>
}

// CHECK-LABEL: func.func @decay
// CHECK: linalg.generic
// CHECK:   %[[QI:.*]] = arith.addi %arg2
// CHECK:   %[[P:.*]] = arith.addi %[[QI]]
// CHECK:   %[[J:.*]] = arith.addi %arg3
// CHECK:   arith.cmpi sle, %[[J]], %[[P]]
// Both reads are clamped into the prefix (the select drops the pairs past
// the keys, but the read happens first).
// CHECK:   arith.minsi %[[P]],
// CHECK:   tensor.extract %arg1[
// CHECK:   %[[CP:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f64
// CHECK:   arith.minsi %[[J]],
// CHECK:   tensor.extract %arg1[
// CHECK:   %[[CJ:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f64
// CHECK:   %[[DIFF:.*]] = arith.subf %[[CP]], %[[CJ]] : f64
// CHECK:   %[[NARROW:.*]] = arith.truncf %[[DIFF]] : f64 to f32
// CHECK:   %[[FACTOR:.*]] = math.exp %[[NARROW]] : f32
// CHECK:   %[[DECAYED:.*]] = arith.mulf %{{.*}}, %[[FACTOR]]
// CHECK:   arith.select %{{.*}}, %[[DECAYED]], %{{.*}}
func.func @decay(%s: tensor<16x8xf32>, %c: tensor<?xf64>, %q0: index, %k0: index,
                 %nq: index, %nk: index) -> tensor<16x8xf32> {
  %d = attn_tile.decay %s, %c at(%q0, %k0) lengths(%nq, %nk) : tensor<16x8xf32>, tensor<?xf64>
  return %d : tensor<16x8xf32>
}

// The state's part of a query chunk: Q S and Q z (reductions over D),
// then scale times the decay since the state per row.
// CHECK-LABEL: func.func @read_state
// CHECK: %[[F:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8xf32>)
// CHECK:   arith.subf {{.*}} : f64
// CHECK:   math.exp
// CHECK:   arith.mulf {{.*}}, %arg3 : f32
// CHECK: %[[QS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<8x16xf32>, tensor<16x?xf32>)
// CHECK:   math.fma
// CHECK: %[[QZ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0, %arg2 : tensor<8x16xf32>, tensor<16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[QS]], %[[F]] : tensor<8x?xf32>, tensor<8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[QZ]], %[[F]] : tensor<8xf32>, tensor<8xf32>)
func.func @read_state(%fq: tensor<8x16xf32>, %s: tensor<16x?xf32>, %z: tensor<16xf32>,
                      %scale: f32, %c0: index, %nk: index, %c: tensor<?xf64>)
    -> (tensor<8x?xf32>, tensor<8xf32>) {
  %acc, %sum = attn_tile.read_state %fq, %s, %z scale %scale at %c0 length %nk decay(%c : tensor<?xf64>)
      : tensor<8x16xf32>, tensor<16x?xf32>, tensor<16xf32> -> tensor<8x?xf32>, tensor<8xf32>
  return %acc, %sum : tensor<8x?xf32>, tensor<8xf32>
}

// The state update: the old state times the chunk's decay, plus the
// chunk's keys decayed to its end; keys past the end are skipped.
// CHECK-LABEL: func.func @update_state
// CHECK: %[[LASTEND:.*]] = arith.minsi
// CHECK: %[[LAST:.*]] = arith.subi %[[LASTEND]]
// CHECK: %[[E:.*]] = math.exp {{.*}} : f32
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8xf32>)
// CHECK:   arith.cmpi sle, %{{.*}}, %[[LAST]]
// CHECK: %[[S0:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<16x?xf32>)
// CHECK:   arith.mulf %{{.*}}, %[[E]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg2, %arg3, %[[G]] : tensor<8x16xf32>, tensor<8x?xf32>, tensor<8xf32>) outs(%[[S0]] : tensor<16x?xf32>)
// CHECK:   %[[IN:.*]] = arith.cmpi sle, %{{.*}}, %[[LAST]]
// CHECK:   %[[ADD:.*]] = arith.addf
// CHECK:   arith.select %[[IN]], %[[ADD]]
// CHECK-NOT: attn_tile
func.func @update_state(%s: tensor<16x?xf32>, %z: tensor<16xf32>, %fk: tensor<8x16xf32>,
                        %v: tensor<8x?xf32>, %c0: index, %nk: index, %c: tensor<?xf64>)
    -> (tensor<16x?xf32>, tensor<16xf32>) {
  %s2, %z2 = attn_tile.update_state %s, %z, %fk, %v at %c0 length %nk decay(%c : tensor<?xf64>)
      : tensor<16x?xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8x?xf32>
  return %s2, %z2 : tensor<16x?xf32>, tensor<16xf32>
}

// A gate per key channel: the prefix per (key, channel), each row reading
// the row before; the gated scores multiply each channel's factor
// exp(prefix[p, x] - prefix[j, x]) into the dot product (0 outside the
// keys); the state read decays each query feature, the update each key
// feature and each state row.
// CHECK-LABEL: func.func @channel_prefix
// CHECK: tensor.empty({{.*}}) : tensor<?x?xf64>
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     math.log {{.*}} : f64
// CHECK:     tensor.insert {{.*}} : tensor<?x?xf64>
func.func @channel_prefix(%a: tensor<1x?x?x8xf32>, %b: index, %h: index, %nk: index) -> tensor<?x?xf64> {
  %c = attn_tile.decay_prefix %a[%b, %h] length %nk : tensor<1x?x?x8xf32> -> tensor<?x?xf64>
  return %c : tensor<?x?xf64>
}

// CHECK-LABEL: func.func @gated_scores
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<6x8xf32>)
// CHECK:   tensor.extract %arg2[{{.*}}] : tensor<?x8xf64>
// CHECK:   math.exp {{.*}} : f32
// CHECK:   arith.select
// CHECK:   math.fma
// CHECK-NOT: attn_tile
func.func @gated_scores(%fq: tensor<4x8xf32>, %fk: tensor<6x8xf32>, %g: tensor<?x8xf64>,
                        %scale: f32, %q0: index, %k0: index, %n: index) -> tensor<4x6xf32> {
  %s = attn_tile.gated_scores %fq, %fk, %g scale %scale at(%q0, %k0) lengths(%n, %n)
      : tensor<4x8xf32>, tensor<6x8xf32>, tensor<?x8xf64> -> tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}

// CHECK-LABEL: func.func @channel_state
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<8x16xf32>) outs(%{{.*}} : tensor<8x16xf32>)
// CHECK:   math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %arg1 : tensor<8x16xf32>, tensor<16x?xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg4, %arg5, %{{.*}} : tensor<8x16xf32>, tensor<8x?xf32>, tensor<8x16xf32>)
// CHECK-NOT: attn_tile
func.func @channel_state(%fq: tensor<8x16xf32>, %s: tensor<16x?xf32>, %z: tensor<16xf32>,
                         %scale: f32, %fk: tensor<8x16xf32>, %v: tensor<8x?xf32>,
                         %c0: index, %nk: index, %g: tensor<?x16xf64>)
    -> (tensor<8x?xf32>, tensor<16x?xf32>) {
  %acc, %sum = attn_tile.read_state %fq, %s, %z scale %scale at %c0 length %nk decay(%g : tensor<?x16xf64>)
      : tensor<8x16xf32>, tensor<16x?xf32>, tensor<16xf32> -> tensor<8x?xf32>, tensor<8xf32>
  %s2, %z2 = attn_tile.update_state %s, %z, %fk, %v at %c0 length %nk decay(%g : tensor<?x16xf64>)
      : tensor<16x?xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8x?xf32>
  return %acc, %s2 : tensor<8x?xf32>, tensor<16x?xf32>
}
