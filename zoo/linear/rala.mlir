// RALA (Rank-Augmented Linear Attention): the keys reweighted by their
// softmax score against the mean query, l1-normalized linear attention,
// and the output gate. ZOO.md: L12 `rala` (partial: RoPE on phi in the
// numerator and LePE are not expressible yet).
//
// Paper: "Breaking the Low-Rank Dilemma of Linear Attention" (Fan et al.),
//   arXiv 2411.07635, 2024 (the RAVLT models).
// Formula (authors' code, as the roster states it), phi = ELU + 1:
//     q_bar = mean_i phi(q_i),
//     alpha_j = N * softmax_j(q_bar . phi(k_j) / sqrt(d)),
//     k~_j = alpha_j phi(k_j),
//     o_i = RoPE(phi(q_i)) . (sum_j RoPE(k~_j) v_j^T / N)
//           / (phi(q_i) . mean_j k~_j),
//   plus LePE (a depthwise conv of V), times a gate (x W_o). Non-causal.
// Parameters: none beyond phi (d is the head dimension).
// Choices:
//   - #attn.feature_map<elu_plus_one, keys = query_weighted>: the keys are
//     mapped with phi and weighted by alpha_j, per query head, once per
//     call (attn_tile.key_weights, before the work items).
//   - Without RoPE the 1/N of the numerator and the mean of the
//     denominator cancel: o_i = sum_j (phi(q_i) . k~_j) v_j
//     / sum_j phi(q_i) . k~_j, the l1 normalization with scale 1.
//   - The gate (x W_o, computed by the caller) is the element-wise
//     `output_gate` [B, H, N, Dv].
//   - Not expressed: RoPE on phi(q_i) and k~_j in the numerator only (the
//     denominator uses the unrotated features; as in L10 MALA), and LePE
//     (a depthwise convolution of V added before the gate).
//   - Non-causal and without a mask: the tile program takes the global
//     O(N) form (one state sum_j k~_j v_j^T per head).
func.func @rala(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>,
                %g: tensor<?x?x?x?xf32> {attn.name = "gate"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       output_gate(%g : tensor<?x?x?x?xf32>)
       feature_map(#attn.feature_map<elu_plus_one, keys = query_weighted>)
       normalization(#attn.normalize<identity, l1>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
