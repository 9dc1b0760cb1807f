// A score of -inf is a masked score on every path: a row whose first key
// scores -inf (the untiled lowering once made it NaN), a middle key, or every
// key (a fully masked row: 0 output, lse -inf), under every normalization.

// DEFINE: %{run} = attn-run %s --random 3 --check
// RUN: %{run} --entry first --shape 1,1,1,8,8,16 --untiled | FileCheck %s
// RUN: %{run} --entry first --shape 1,2,1,37,29,16 --untiled | FileCheck %s
// RUN: %{run} --entry first --shape 1,2,1,37,29,16 --vector-width 8 --tile-kv 7 | FileCheck %s
// RUN: %{run} --entry first --shape 1,2,1,37,29,16 --vector-width 16 | FileCheck %s
// RUN: %{run} --entry middle --shape 1,2,1,37,29,16 --untiled | FileCheck %s
// RUN: %{run} --entry middle --shape 1,2,1,37,29,16 --vector-width 16 --tile-kv 5 | FileCheck %s
// RUN: %{run} --entry every --shape 1,2,1,37,29,16 --untiled | FileCheck %s
// RUN: %{run} --entry every --shape 1,2,1,37,29,16 --vector-width 8 | FileCheck %s
// RUN: %{run} --entry first_identity --shape 1,2,1,37,29,16 --untiled | FileCheck %s --check-prefix=OUT
// RUN: %{run} --entry first_identity --shape 1,2,1,37,29,16 --vector-width 16 | FileCheck %s --check-prefix=OUT
// A bias operand whose first column is -inf (and whose last row is -inf
// everywhere: a fully masked row).
// RUN: attn-run %s --entry bias --random 5 --shape 1,2,1,21,13,8 --dump-inputs %t.
// RUN: %numpy_python -c "import numpy as n; b = n.load('%t.bias.npy'); b[..., 0] = -n.inf; b[..., -1, :] = -n.inf; n.save('%t.bias.npy', b)"
// RUN: attn-run %s --entry bias --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand bias=%t.bias.npy --check --untiled | FileCheck %s
// RUN: attn-run %s --entry bias --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand bias=%t.bias.npy --check --vector-width 8 | FileCheck %s
// RUN: attn-run %s --entry bias --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand bias=%t.bias.npy --check --vector-width 16 --tile-kv 4 | FileCheck %s
// CHECK: check output {{.*}} PASS
// CHECK-NOT: non-finite
// CHECK: check lse {{.*}} PASS
// OUT: check output {{.*}} PASS
// OUT-NOT: non-finite

// Key 0 scores -inf: the running max stays -inf until key 1.
func.func @first(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %ninf = arith.constant 0xFF800000 : f32
    %first = arith.cmpi eq, %j, %c0 : index
    %r = arith.select %first, %ninf, %s : f32
    attn.yield %r : f32
  } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// The middle key (Nk / 2, from attn.key_length) scores -inf.
func.func @middle(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v mask(#attn.causal) score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %c2 = arith.constant 2 : index
    %nk = attn.key_length : index
    %mid = arith.divui %nk, %c2 : index
    %ninf = arith.constant 0xFF800000 : f32
    %at = arith.cmpi eq, %j, %mid : index
    %r = arith.select %at, %ninf, %s : f32
    attn.yield %r : f32
  } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// Every key of the odd rows scores -inf: those rows are fully masked.
func.func @every(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %c2 = arith.constant 2 : index
    %c1 = arith.constant 1 : index
    %ninf = arith.constant 0xFF800000 : f32
    %odd = arith.remui %i, %c2 : index
    %masked = arith.cmpi eq, %odd, %c1 : index
    %r = arith.select %masked, %ninf, %s : f32
    attn.yield %r : f32
  } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// Identity normalization: a -inf score has weight 0 (not -inf * v).
func.func @first_identity(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v normalization(#attn.normalize<identity>) score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %ninf = arith.constant 0xFF800000 : f32
    %first = arith.cmpi eq, %j, %c0 : index
    %r = arith.select %first, %ninf, %s : f32
    attn.yield %r : f32
  } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A bias operand [1, Hq, Nq, Nk].
func.func @bias(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>, %bias: tensor<1x?x?x?xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v bias(%bias : tensor<1x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}
