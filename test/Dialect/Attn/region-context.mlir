// RUN: attn-opt %s -split-input-file | attn-opt -split-input-file | FileCheck %s
// RUN: attn-opt %s -split-input-file --mlir-print-op-generic | attn-opt -split-input-file | FileCheck %s

// The region context ops: the sequence lengths and the aligned query
// position, in every region kind.

// CHECK-LABEL: func.func @context
// CHECK:   mask_fn {
// CHECK:     %[[P:.*]] = attn.aligned_query %{{.*}} : index
// CHECK:     arith.cmpi sle, %{{.*}}, %[[P]] : index
// CHECK:   score_mod {
// CHECK:     attn.key_length : index
// CHECK:   weight_mod {
// CHECK:     attn.query_length : index
func.func @context(%q: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q mask_fn {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %p = attn.aligned_query %i : index
    %ok = arith.cmpi sle, %j, %p : index
    attn.yield %ok : i1
  } score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %nk = attn.key_length : index
    %n = arith.index_cast %nk : index to i64
    %f = arith.sitofp %n : i64 to f32
    %l = math.log %f : f32
    %r = arith.subf %s, %l : f32
    attn.yield %r : f32
  } weight_mod {
  ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
    %nq = attn.query_length : index
    %n = arith.index_cast %nq : index to i64
    %f = arith.sitofp %n : i64 to f32
    %y = arith.mulf %w, %f : f32
    attn.yield %y : f32
  } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
