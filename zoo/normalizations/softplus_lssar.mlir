// LSSAR: LSSA with a power re-weighting (LSSA: softplus_lssa.mlir).
// ZOO.md: N01 `softplus_lssa` (re-weighted variant).
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
//   - This file is LSSAR: softplus(lambda s)^k computed in the score_mod,
//     normalized with #attn.normalize<identity, l1> (weights are >= 0, so
//     l1 is the plain row sum); one pass, no max subtraction. LSSA is
//     zoo/normalizations/softplus_lssa.mlir.
//   - [verify] the re-weighting: if the paper's sharpening is not p^k / sum
//     p^k (e.g. a shifted ReLU before the power), only this region changes;
//     listed as partial in docs/zoo.md until checked.
func.func @lssar(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %one = arith.constant 1.0 : f32
         %zero = arith.constant 0.0 : f32
         %ii = arith.index_cast %i : index to i64
         %fi = arith.sitofp %ii : i64 to f32
         %n = arith.addf %fi, %one : f32
         %lambda = math.log %n : f32
         %x = arith.mulf %s, %lambda : f32
         // softplus(x) = max(x, 0) + log1p(exp(-|x|))
         %ax = math.absf %x : f32
         %nax = arith.negf %ax : f32
         %ex = math.exp %nax : f32
         %tail = math.log1p %ex : f32
         %pos = arith.maximumf %x, %zero : f32
         %sp = arith.addf %pos, %tail : f32
         %sp2 = arith.mulf %sp, %sp : f32
         %sp3 = arith.mulf %sp2, %sp : f32
         attn.yield %sp3 : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
