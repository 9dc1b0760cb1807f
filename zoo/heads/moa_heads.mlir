// MoA: mixture of attention heads selected per token (shared K/V).
// ZOO.md: H02 `moa_heads`.
//
// Paper: "Mixture of Attention Heads: Selecting Attention Heads Per Token",
//   Zhang, Shen, Liu, Zhou and Ye, EMNLP 2022.
// Formula: E attention experts share the key and value projections and own
//   their query and output projections; a router picks the top-k experts of
//   each token with weights r_e(x_i) (0 for the others):
//     y_i = sum_{e in topk(i)} r_e(x_i) W_O^e sum_j softmax_j(q^e_i . k_j / sqrt(d)) v_j
// Parameters: E experts, k selected per token [verify: shared K/V are one
//   head for all experts]: the op sees Hq = E query heads and Hkv = 1 K/V
//   head (MQA-shaped, from the shapes), and the routing weights as the
//   output_gate g[b, e, i] = r_e(x_i) (0 if e is not selected); scale
//   1/sqrt(d); no mask (the paper's MT encoder self-attention; a decoder adds
//   mask(#attn.causal)).
// Choices: computing only the selected (token, expert) rows is a kernel
//   optimisation (rows with a zero gate contribute nothing); the W_O^e
//   projections and the sum over experts are outside the op. Uses
//   output_gate: compiled with the untiled lowering until the tiled one
//   supports it.
func.func @moa_heads(%q: tensor<?x?x?x?xf32>, %k: tensor<?x1x?x?xf32>,
                     %v: tensor<?x1x?x?xf32>, %route: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v output_gate(%route : tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
