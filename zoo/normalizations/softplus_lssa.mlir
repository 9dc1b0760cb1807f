// LSSA: length-scaled softplus attention (LSSAR: softplus_lssar.mlir).
// ZOO.md: N01 `softplus_lssa`.
//
// Paper: "Softplus Attention with Re-weighting Boosts Length Extrapolation
//   in Large Language Models", Gao, Spratling (and Gionfrida), 2025.
// Formula: softmax = a positive nonlinearity + l1 normalization; LSSA keeps
//   the l1 normalization and replaces exp by softplus, with a dynamic,
//   row-dependent scale factor lambda (from "invariance entropy"):
//     LSSA:  p_ij = softplus(lambda_i s_ij) / sum_j softplus(lambda_i s_ij)
//   LSSAR adds a sharpening re-weighting of the normalized weights, a power
//   function; in the p^k / sum p^k form it collapses to one normalization
//   of softplus(.)^k (the common denominator cancels):
//     LSSAR: p_ij = softplus(lambda_i s_ij)^k / sum_j softplus(lambda_i s_ij)^k
//   o_i = sum_j p_ij v_j, causal; s_ij = q_i . k_j / sqrt(d).
// Parameters:
//   - lambda_i = log(i + 1): the log of the number of keys row i sees
//     (causal), the usual entropy-invariance scale [verify: the paper's
//     exact factor, e.g. log(n) / log(n_train) or a learned multiple].
//   - k = 3 for LSSAR [verify: the paper's power].
// Choices:
//   - This file is LSSA: #attn.normalize<softplus, l1> with the scale as a
//     score_mod, one pass, no max subtraction. LSSAR (the re-weighted
//     variant) is zoo/normalizations/softplus_lssar.mlir.
func.func @lssa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       normalization(#attn.normalize<softplus, l1>)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %one = arith.constant 1.0 : f32
         %ii = arith.index_cast %i : index to i64
         %fi = arith.sitofp %ii : i64 to f32
         %n = arith.addf %fi, %one : f32
         %lambda = math.log %n : f32
         %r = arith.mulf %s, %lambda : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
