// Multi-branch specs: several attn.attention ops in one function, combined
// exactly (attn.merge, through their logsumexps) or by gates
// (attn.gated_sum), with pooled keys and values (attn.pool_blocks) and a
// selection's complement. attn-run --check compares the whole function
// (output and merged logsumexp) with the float64 reference, which
// evaluates every branch and combination itself.

// RUN: rm -rf %t && split-file %s %t

// A causal attention split into a window branch and the keys before the
// window, merged exactly: lengths not multiples of the tiles, one query,
// Nq > Nk (the first rows of both branches fully masked: output 0, lse
// -inf), GQA, both CPU tile lowerings, split-KV.
// RUN: attn-run %t/split.mlir --tile-program --random 1 --shape 1,2,1,77,77,16 --check | FileCheck %s --check-prefixes=CHECK,LSE
// RUN: attn-run %t/split.mlir --tile-program --random 2 --shape 2,4,2,130,130,32 --check | FileCheck %s --check-prefixes=CHECK,LSE
// RUN: attn-run %t/split.mlir --tile-program --random 3 --shape 1,2,1,1,300,16 --check | FileCheck %s --check-prefixes=CHECK,LSE
// RUN: attn-run %t/split.mlir --tile-program --random 4 --shape 1,2,2,90,40,16 --check | FileCheck %s --check-prefixes=CHECK,LSE
// RUN: attn-run %t/split.mlir --tile-program --portable-tiles --random 5 --shape 1,2,1,70,70,8 --check | FileCheck %s --check-prefixes=CHECK,LSE
// RUN: attn-run %t/split.mlir --tile-program --split-kv 3 --tile-kv 16 --random 6 --shape 1,2,1,100,100,16 --check | FileCheck %s --check-prefixes=CHECK,LSE
// RUN: attn-run %t/split.mlir --tile-program --element-type bf16 --random 7 --shape 1,2,1,77,77,16 --check | FileCheck %s --check-prefixes=CHECK,LSE
// The untiled lowering computes each branch itself; the merge is the same.
// RUN: attn-run %t/split.mlir --untiled --random 8 --shape 1,2,1,33,40,8 --check | FileCheck %s --check-prefixes=UNTILED
// CHECK: path tile program
// CHECK: check output {{.*}} PASS
// LSE: check lse {{.*}} PASS
// UNTILED: check output {{.*}} PASS
// UNTILED: check lse {{.*}} PASS

// The merge is the single softmax it stands for: the split spec's output
// and logsumexp equal those of one causal attention on the same inputs.
// RUN: attn-run %t/split.mlir --tile-program --random 9 --shape 1,2,1,90,40,16 --dump-inputs %t/in. -o %t/split.out.npy --lse-out %t/split.lse.npy
// RUN: attn-run %t/causal.mlir --tile-program --q %t/in.q.npy --k %t/in.k.npy --v %t/in.v.npy -o %t/causal.out.npy --lse-out %t/causal.lse.npy
// RUN: %numpy_python -c "import numpy as np; a, b = np.load('%t/split.out.npy'), np.load('%t/causal.out.npy'); la, lb = np.load('%t/split.lse.npy'), np.load('%t/causal.lse.npy'); assert np.allclose(a, b, rtol=1e-5, atol=1e-6), abs(a - b).max(); assert (np.isneginf(la) == np.isneginf(lb)).all() and np.isneginf(la).any(); f = np.isfinite(lb); assert np.allclose(la[f], lb[f], rtol=1e-5, atol=1e-5); assert (a[np.isneginf(la)] == 0).all(); print('SAME')" | FileCheck %s --check-prefix=SAME
// SAME: SAME

// The top-k blocks and their complement partition the keys: merged, they
// are the full (non-causal) attention; per token, per query block and
// under a cumulative-mass rule, blocks that the tiles do not divide, all
// blocks selected (the complement branch fully masked everywhere). Three
// partitions merged: the full output, its logsumexp plus log 3.
// RUN: attn-run %t/partition.mlir --tile-program --random 11 --shape 1,2,1,150,150,16 --check | FileCheck %s
// RUN: attn-run %t/partition.mlir --tile-program --random 12 --shape 1,2,2,1,333,16 --check | FileCheck %s
// RUN: attn-run %t/partition.mlir --tile-program --random 13 --shape 1,2,1,40,40,16 --check | FileCheck %s
// RUN: attn-run %t/partition.mlir --tile-program --tile-q 16 --tile-kv 24 --random 14 --shape 2,2,1,100,257,16 --check | FileCheck %s

// ... and equal one full attention on the same inputs.
// RUN: attn-run %t/partition.mlir --tile-program --random 15 --shape 1,2,1,100,150,16 --dump-inputs %t/pin. -o %t/part.out.npy --lse-out %t/part.lse.npy
// RUN: attn-run %t/full.mlir --tile-program --q %t/pin.q.npy --k %t/pin.k.npy --v %t/pin.v.npy -o %t/full.out.npy --lse-out %t/full.lse.npy
// RUN: %numpy_python -c "import numpy as np; a, b = np.load('%t/part.out.npy'), np.load('%t/full.out.npy'); la, lb = np.load('%t/part.lse.npy'), np.load('%t/full.lse.npy'); assert np.allclose(a, b, rtol=1e-5, atol=1e-6), abs(a - b).max(); assert np.allclose(la, lb + np.log(3.0), rtol=1e-5, atol=1e-5); print('SAME')" | FileCheck %s --check-prefix=SAME

// Gated sums, row gates and element-wise gates, one of them broadcast
// over the batch and heads.
// RUN: attn-run %t/gated.mlir --tile-program --random 21 --shape 1,2,1,77,77,16 --check | FileCheck %s
// RUN: attn-run %t/gated.mlir --tile-program --random 22 --shape 2,2,2,1,65,8 --check | FileCheck %s
// RUN: attn-run %t/gated.mlir --tile-program --element-type bf16 --random 23 --shape 1,2,1,50,50,16 --check | FileCheck %s

// Errors: the function must return its last op's results; a multi-branch
// body holds attn ops only; some branch must read q, k and v.
// RUN: not attn-run %t/not-last.mlir --random 1 2>&1 | FileCheck %s --check-prefix=NOTLAST
// NOTLAST: not-last.mlir:{{[0-9]+}}:{{[0-9]+}}: error: a multi-branch spec function must return the results of its last op (an attn.attention, attn.merge or attn.gated_sum), in order
// RUN: not attn-run %t/other-op.mlir --random 1 2>&1 | FileCheck %s --check-prefix=OTHER
// OTHER: other-op.mlir:{{[0-9]+}}:{{[0-9]+}}: error: a multi-branch spec function holds attn.attention, attn.pool_blocks, attn.merge and attn.gated_sum ops only

//--- split.mlir
func.func @split(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %oa, %la = attn.attention %q, %k, %v
       mask(#attn.window<left = 15, right = 0>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %ob, %lb = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal,
                       #attn.not<#attn.window<left = 15, right = 0>>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o, %l = attn.merge %oa, %ob lse(%la, %lb : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

//--- causal.mlir
func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %l = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

//--- full.mlir
func.func @full(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %l = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

//--- partition.mlir
func.func @partition(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %v: tensor<?x?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %oa, %la = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 32, k = 3, pool = mean,
                                   keep_current = false, causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %ob, %lb = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 32, k = 3, pool = mean,
                                   keep_current = false, causal = false,
                                   complement = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %oc, %lc = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean,
                                   q_block = 16, causal = false,
                                   complement = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %od, %ld = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 16, k = 2, pool = mean,
                                   q_block = 16, causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o1, %l1 = attn.merge %oa, %ob lse(%la, %lb : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o2, %l2 = attn.merge %oc, %od lse(%lc, %ld : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %oe, %le = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 16, k = 100, pool = mean,
                                   mass = 0.5, causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %of, %lf = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 16, k = 100, pool = mean,
                                   mass = 0.5, causal = false,
                                   complement = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o, %l = attn.merge %o1, %o2, %oe, %of
       lse(%l1, %l2, %le, %lf : tensor<?x?x?xf32>, tensor<?x?x?xf32>,
                                tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
         tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

//--- gated.mlir
func.func @gated(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>,
                 %g1: tensor<?x?x?xf32> {attn.name = "g1"},
                 %g2: tensor<1x1x?x?xf32> {attn.name = "g2"})
    -> tensor<?x?x?x?xf32> {
  %oa = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %ob = attn.attention %q, %k, %v mask(#attn.window<left = 7, right = 7>)
       normalization(#attn.normalize<sigmoid>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %o = attn.gated_sum %oa, %ob gates(%g1, %g2 : tensor<?x?x?xf32>, tensor<1x1x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//--- not-last.mlir
func.func @not_last(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %oa, %la = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %ob, %lb = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %oa : tensor<?x?x?x?xf32>
}

//--- other-op.mlir
func.func @other_op(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %oa = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %ob = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %o = arith.addf %oa, %ob : tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
