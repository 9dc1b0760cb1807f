// Dual Attention Transformer: relational heads as attention over extra
// value channels. ZOO.md: H11 `dat_relational`.
//
// Paper: "Disentangling and Integrating Relational and Sensory Information
//   in Transformer Architectures", Altabaa and Lafferty, 2024.
// Formula: two head kinds. Sensory heads are standard attention. Relational
//   heads retrieve relations to the attended tokens
//     o_i = sum_j p_ij (r_ij W_r + s_j W_s),
//     r_ij = (<phi_l(x_i), psi_l(x_j)>)_{l = 1..L},  p = softmax(q k^T / sqrt(d))
//   [verify: notation]. Since p_ij does not depend on l,
//     sum_j p_ij r_ij,l = <phi_l(x_i), sum_j p_ij psi_l(x_j)>
//   so a relational head is standard attention whose values are the
//   concatenation u_j = [psi_1(x_j), ..., psi_L(x_j), s_j W_s]
//   (Dv = L * d_r + d_model), followed by a per-query epilogue: the dot
//   products of phi_l(x_i) with the first L blocks of o_i, projected by W_r,
//   plus the last block. Exact.
// Exact formulation: this spec is the attention part (o_i = sum_j p_ij u_j,
//   Dv != D); the caller concatenates the value channels and applies the
//   per-query dot-product epilogue (O(N L d_r) work, no N^2 term).
// Parameters: #relations L, d_r (shape of the values); scale 1/sqrt(d);
//   causal (the paper's language models; the vision models drop it).
func.func @dat_relational(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                          %u: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %u mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
