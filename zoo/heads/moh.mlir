// MoH: multi-head attention as a mixture of head experts.
// ZOO.md: H01 `moh`.
//
// Paper: "MoH: Multi-Head Attention as Mixture-of-Head Attention", Jin,
//   Zhu, Yan and Yuan, 2024.
// Formula: heads are experts; each token activates the shared heads and its
//   top-k routed heads, and the layer output is a weighted (not plain) sum
//     O_i = sum_h g_h(x_i) H_h(x_i) W_O^h,
//     H_h(x_i) = sum_j softmax_j(q_ih . k_jh / sqrt(d)) v_jh
//   with g_h = 0 for routed heads not in the token's top-k; MoH's two-stage
//   routing: shared heads weighted by alpha_1 softmax(W_s x), routed heads
//   by alpha_2 softmax(top-k(W_r x)), [alpha_1, alpha_2] = softmax(W_h x)
//   [verify: two-stage routing details].
// Parameters: #shared, #routed, k: they only shape the gate tensor, which
//   the router (outside the op) computes: g[b, h, i] (0 for unselected
//   heads, the random test prunes about a quarter of the (b, h, i)); scale
//   1/sqrt(d); causal (MoH-LLaMA3).
// Choices:
//   - The per-(b, h, i) gate is the op's output_gate operand:
//     out[b, h, i, :] = g[b, h, i] * H_h(x_i); the per-head output
//     projections W_O^h and the sum over heads are the usual output
//     projection of the concatenated (gated) heads, outside the op.
//   - A kernel may skip (b, h, i) rows whose gate is 0 (the compute saving
//     of MoH); the spec's semantics do not depend on it.
//   - Uses output_gate: compiled with the untiled lowering until the tiled
//     one supports it.
func.func @moh(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>, %gate: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v output_gate(%gate : tensor<?x?x?xf32>)
       mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
