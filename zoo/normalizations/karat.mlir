// KArAt: Kolmogorov-Arnold attention with a Fourier basis (Fourier-KArAt).
// ZOO.md: N09 `karat`.
//
// Paper: "Kolmogorov-Arnold Attention: Is Learnable Attention Better For
//   Vision Transformers?", Maity et al., 2025.
// Formula: the softmax is replaced by a learnable Kolmogorov-Arnold
//   (univariate, per head) function of the score; with the Fourier basis of
//   grid size G:
//     phi_h(s) = sum_{g=1..G} (a_{h,g} cos(g s) + b_{h,g} sin(g s))
//     o_i = sum_j phi_h(s_ij) v_j,  s_ij = q_i . k_j / sqrt(d)
//   (ViT encoder: no mask).
// Parameters: G = 3 [verify: the paper's grid size], coefficients
//   coef[h, g, 0] = a_{h,g}, coef[h, g, 1] = b_{h,g} (a float operand
//   [Hq, 3, 2]); scale 1/sqrt(d).
// Choices and [verify] items:
//   - The weights are used as phi(s) with no normalization
//     (#attn.normalize<identity>) [verify: whether the paper re-normalizes
//     the rows (e.g. an l1 projection) after the learnable operator; with l1
//     this spec adds `l1` to the normalization].
//   - The modular low-rank variant (the operator acting on a projection of
//     the whole row, mixing keys) is not pointwise and is not covered:
//     partial entry in docs/zoo.md.
func.func @karat(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>,
                 %coef: tensor<?x3x2xf32> {attn.dims = ["Hq", 3, 2]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%coef : tensor<?x3x2xf32>)
       normalization(#attn.normalize<identity>)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %c: tensor<?x3x2xf32>):
         %c0 = arith.constant 0 : index
         %c1 = arith.constant 1 : index
         %c2 = arith.constant 2 : index
         %f2 = arith.constant 2.0 : f32
         %f3 = arith.constant 3.0 : f32
         %a1 = tensor.extract %c[%h, %c0, %c0] : tensor<?x3x2xf32>
         %b1 = tensor.extract %c[%h, %c0, %c1] : tensor<?x3x2xf32>
         %a2 = tensor.extract %c[%h, %c1, %c0] : tensor<?x3x2xf32>
         %b2 = tensor.extract %c[%h, %c1, %c1] : tensor<?x3x2xf32>
         %a3 = tensor.extract %c[%h, %c2, %c0] : tensor<?x3x2xf32>
         %b3 = tensor.extract %c[%h, %c2, %c1] : tensor<?x3x2xf32>
         %s2 = arith.mulf %s, %f2 : f32
         %s3 = arith.mulf %s, %f3 : f32
         %cos1 = math.cos %s : f32
         %sin1 = math.sin %s : f32
         %cos2 = math.cos %s2 : f32
         %sin2 = math.sin %s2 : f32
         %cos3 = math.cos %s3 : f32
         %sin3 = math.sin %s3 : f32
         %t1 = arith.mulf %a1, %cos1 : f32
         %t2 = math.fma %b1, %sin1, %t1 : f32
         %t3 = math.fma %a2, %cos2, %t2 : f32
         %t4 = math.fma %b2, %sin2, %t3 : f32
         %t5 = math.fma %a3, %cos3, %t4 : f32
         %t6 = math.fma %b3, %sin3, %t5 : f32
         attn.yield %t6 : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
