// ZeroTuning: head-specific rescaling of the attention to the initial token.
// ZOO.md: S02 `zerotuning`.
//
// Paper: "ZeroTuning: Unlocking the Initial Token's Power to Enhance Large
//   Language Models Without Training", Han et al., 2025.
// Formula: the weight of the initial (sink) token j = 0 is scaled by a
//   head-specific gamma_h and the row renormalized:
//     p'_i0 = gamma_h p_i0 / Z,  p'_ij = p_ij / Z  (j > 0),
//     Z = gamma_h p_i0 + sum_{j > 0} p_ij
//   which equals softmax with a bias log(gamma_h) on column 0:
//     s_i0 += log gamma_h   (exp(s + log g) = g exp(s); the common 1/Z
//     cancels).
//   o_i = sum_j softmax_j(s_ij) v_j, causal.
// Parameters: log_gamma[h] (= log gamma_h), a float operand [Hq]; the paper
//   tunes gamma_h per head on unlabeled data (training-free); scale
//   1/sqrt(d).
// Choices: the equivalence above is exact [verified by the algebra:
//   gamma_h e^{s_0} / (gamma_h e^{s_0} + sum_{j>0} e^{s_j}) is what both
//   forms give for column 0, and likewise for j > 0]. The log form keeps the
//   spec a single pass (no post-softmax renormalization).
func.func @zerotuning(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                      %v: tensor<?x?x?x?xf32>,
                      %log_gamma: tensor<?xf32> {attn.dims = ["Hq"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%log_gamma : tensor<?xf32>)
       mask(#attn.causal)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %lg: tensor<?xf32>):
         %c0 = arith.constant 0 : index
         %zero = arith.constant 0.0 : f32
         %g = tensor.extract %lg[%h] : tensor<?xf32>
         %first = arith.cmpi eq, %j, %c0 : index
         %bias = arith.select %first, %g, %zero : f32
         %r = arith.addf %s, %bias : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
