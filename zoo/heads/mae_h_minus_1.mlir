// MAE: a mixture of h experts, each a multi-head attention without one head.
// ZOO.md: H03 `mae_h_minus_1`.
//
// Paper: "A Mixture of h-1 Heads is Better than h Heads", Peng, Schwartz,
//   Li and Smith, ACL 2020.
// Formula: expert e is the h-head attention with head e removed; a gating
//   network gives responsibilities r_e (sum_e r_e = 1) and
//     y = sum_e r_e MHA_{-e}(x) = sum_e r_e sum_{h != e} c H_h W_O^h
//       = sum_h (c (1 - r_h)) H_h W_O^h
//   (the heads are shared by all experts), c = h / (h - 1) the rescaling
//   of a head-dropped MHA [verify: whether the paper rescales].
//   So MAE is one multi-head attention whose head h is scaled by
//   g_h = c (1 - r_h): the op's output_gate.
// Parameters: h heads (Hq); the gate g[b, h, 1] = c (1 - r_h(x)) computed
//   by the gating network from the sequence (responsibilities per sentence
//   [verify: per sentence or per token; per token would be g[b, h, i]]),
//   broadcast over the queries (extent-1 dimension of the operand); scale
//   1/sqrt(d); no mask (the paper's MT encoder; the decoder is causal).
// Choices: block coordinate descent training is out of scope. Uses
//   output_gate: compiled with the untiled lowering until the tiled one
//   supports it.
func.func @mae_h_minus_1(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>, %gate: tensor<?x?x1xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v output_gate(%gate : tensor<?x?x1xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
