// End-to-end runs of attn-run: random inputs checked against the float64
// reference, .npy round trips, and the reference writer.

// RUN: attn-run %s --random 1 --check | FileCheck %s --check-prefix=CHECK
// RUN: attn-run %s --random 2 --shape 1,4,2,1,33,8 --check | FileCheck %s --check-prefix=CHECK
// RUN: attn-run %s --random 3 --shape 2,6,3,17,41,24,8 --check | FileCheck %s --check-prefix=SHAPE
// RUN: attn-run %s --untiled --random 4 --shape 1,2,1,9,9,8 --check | FileCheck %s --check-prefix=UNTILED
// CHECK: compile {{.*}} s  run {{.*}} s  path tile program
// UNTILED: path untiled
// UNTILED: check output {{.*}} PASS
// CHECK: check output {{.*}} PASS
// CHECK: check lse {{.*}} PASS
// SHAPE: B=2 Hq=6 Hkv=3 Nq=17 Nk=41 D=24 Dv=8

// Inputs written by one run and read back by another give the same output.
// RUN: attn-run %s --random 4 --dump-inputs %t. -o %t.a.npy --lse-out %t.lse.npy
// RUN: attn-run %s --q %t.q.npy --k %t.k.npy --v %t.v.npy -o %t.b.npy --check | FileCheck %s --check-prefix=CHECK
// RUN: cmp %t.a.npy %t.b.npy
// The reference writer produces an output the compiled one matches.
// RUN: attn-run %s --q %t.q.npy --k %t.k.npy --v %t.v.npy --reference -o %t.r.npy | FileCheck %s --check-prefix=REF
// REF-NOT: compile
// REF: spec

// --element-type runs the f32 spec as a 16-bit one (Q, K, V and the output
// retyped, the lse stays f32), as attn-emit-lib --element-type compiles it.
// RUN: attn-run %s --element-type bf16 --random 7 --shape 1,4,2,33,70,16 --check | FileCheck %s --check-prefix=BF16
// RUN: attn-run %s --element-type f16 --random 7 --shape 1,4,2,33,70,16 --check | FileCheck %s --check-prefix=F16
// BF16: dtype bf16
// BF16: check output {{.*}} tol 1e-02  PASS
// BF16: check lse {{.*}} PASS
// F16: dtype f16
// F16: check output {{.*}} tol 1e-02  PASS

func.func @causal_lse(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %l = attn.attention %q, %k, %v mask(#attn.causal)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}
