// A spec file with two attention functions: each is compiled on its own
// (the other, here one with dynamic shapes, is not part of its kernel).
// RUN: rm -rf %t && attn-emit-lib %s --entry fixed --arch sm_80 -o %t/one | FileCheck %s --check-prefix=ONE
// RUN: attn-emit-lib %s --shape 1,2,2,40,40,32 --arch sm_80 -o %t/both | FileCheck %s --check-prefix=BOTH
// ONE: wrote {{.*}}/fixed.{h,c,json} and 1 PTX
// ONE-NOT: wrote
// BOTH-DAG: wrote {{.*}}/fixed.{h,c,json} and 1 PTX
// BOTH-DAG: wrote {{.*}}/unshaped.{h,c,json} and 1 PTX
// RUN: not grep -q unshaped %t/one/fixed.sm_80.ptx

func.func @fixed(%q: tensor<1x2x40x32xf16>, %k: tensor<1x2x40x32xf16>,
                 %v: tensor<1x2x40x32xf16>) -> tensor<1x2x40x32xf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x40x32xf16>, tensor<1x2x40x32xf16>, tensor<1x2x40x32xf16> -> tensor<1x2x40x32xf16>
  return %o : tensor<1x2x40x32xf16>
}

func.func @unshaped(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
