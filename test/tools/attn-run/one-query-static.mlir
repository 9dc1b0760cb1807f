// One query row (B = H = Nq = 1), static shapes: the vector kernels narrow
// the query tile to one row, and a score modification after the mask wrote
// its first key vector into a tile whose other vectors bufferization had
// not copied (MLIR 22's vector.transfer_write model; see
// test/Transforms/transfer-write-bufferization.mlir). The output was wrong
// (rel_fro 0.5-0.85) at 8 lanes, or non-finite.

// DEFINE: %{run} = attn-run %s --random 2 --check
// RUN: %{run} --entry softcap --shape 1,1,1,1,19,16 --vector-width 8 | FileCheck %s
// RUN: %{run} --entry softcap --shape 1,1,1,1,16,16 --vector-width 8 | FileCheck %s
// RUN: %{run} --entry softcap --shape 1,1,1,1,64,16 --vector-width 16 | FileCheck %s
// RUN: %{run} --entry softcap --shape 1,1,1,1,1,16 --vector-width 8 | FileCheck %s
// RUN: %{run} --entry alibi --shape 1,1,1,1,19,16 --vector-width 8 | FileCheck %s
// RUN: %{run} --entry alibi --shape 1,1,1,1,40,32 --vector-width 16 | FileCheck %s
// RUN: %{run} --entry first_key_weight_mod --shape 1,1,1,1,19,16 --vector-width 8 | FileCheck %s
// RUN: %{run} --entry first_key_weight_mod --shape 1,1,1,1,19,16 --vector-width 16 | FileCheck %s
// CHECK: check output {{.*}} PASS
// CHECK-NOT: non-finite

func.func @softcap(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) score_mods([#attn.softcap<2.0>]) : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @alibi(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.window<left = 12, right = 0>) score_mods([#attn.alibi]) : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Key 0 scores -inf, and a weight_mod (the two-pass form) scales weights.
func.func @first_key_weight_mod(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %ninf = arith.constant 0xFF800000 : f32
    %first = arith.cmpi eq, %j, %c0 : index
    %r = arith.select %first, %ninf, %s : f32
    attn.yield %r : f32
  } weight_mod {
  ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
    %y = arith.mulf %w, %r : f32
    attn.yield %y : f32
  } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
