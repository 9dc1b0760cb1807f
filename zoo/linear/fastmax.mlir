// FAST (fastmax): factorizable attention, the exponential's truncated
// Taylor series in place of softmax.
// ZOO.md: L07 `fastmax`.
//
// Paper: "FAST: Factorizable Attention for Speeding up Transformers", 2024.
// Formula (order p = 2):
//     f(q_i, k_j) = 1 + s_ij + s_ij^2 / 2,   s_ij = q^_i . k^_j,
//     o_i = sum_j f(q_i, k_j) v_j / sum_j f(q_i, k_j)
//   with q^, k^ the normalized queries and keys [verify: the paper's
//   normalization, taken as given by the caller].
// Choices:
//   - q^ and k^ arrive normalized (a caller-side prologue, as RoPE elsewhere
//     in the zoo); scale 1.
//   - f is a score_mod (1 + s + s^2/2 > 0 for every s, so the l1 row sum
//     never vanishes) under the identity normalization with l1.
//   - Causal (the language-model setting) [verify].
//   - The paper's O(N) evaluation factorizes f into tensor-power features
//     (1, x, x (x) x / sqrt 2) and runs the chunked recurrence; here the
//     same f is evaluated in the quadratic form (the score_mod is not a
//     feature map yet): exact, O(N^2).
func.func @fastmax(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>)
       scale(1.0)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %one = arith.constant 1.0 : f32
         %half = arith.constant 0.5 : f32
         %s2 = arith.mulf %s, %s : f32
         %t = math.fma %s2, %half, %s : f32
         %f = arith.addf %t, %one : f32
         attn.yield %f : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
