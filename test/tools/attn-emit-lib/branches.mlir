// A multi-branch spec (attn.merge, attn.gated_sum, attn.pool_blocks) runs
// on the CPU tile program only: the GPU library emitter refuses it by name
// (scripts/gpu_resources.py lists such zoo specs as "no GPU lowering yet").
// RUN: not attn-emit-lib %s --arch sm_80 -o %t --shape 1,2,1,64,64,16 2>&1 | FileCheck %s
// RUN: not attn-emit-lib %zoo/hybrids/pisa.mlir --arch sm_80 -o %t --shape 1,2,1,64,64,16 2>&1 | FileCheck %s --check-prefix=PISA
// CHECK: error: {{.*}}branches.mlir: 'split': a multi-branch spec (attn.merge, attn.gated_sum, attn.pool_blocks) has no GPU lowering yet (it runs on the CPU tile program)
// PISA: error: {{.*}}pisa.mlir: 'pisa': a multi-branch spec {{.*}} has no GPU lowering yet
func.func @split(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %oa, %la = attn.attention %q, %k, %v
       mask(#attn.window<left = 15, right = 0>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %ob, %lb = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal,
                       #attn.not<#attn.window<left = 15, right = 0>>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o = attn.merge %oa, %ob lse(%la, %lb : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
