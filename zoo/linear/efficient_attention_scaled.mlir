// Efficient Attention, the scaling normalization variant.
// ZOO.md: L06 `efficient_attention` ("or a 1/n scaling variant").
//
// Paper: "Efficient Attention: Attention with Linear Complexities"
//   (Shen et al.), WACV 2021.
// Formula:
//     rho_q(Y) = rho_k(Y) = Y / sqrt(n)
//     E = rho_q(Q) (rho_k(K)^T V) = Q (K^T V) / n
//   with n the number of keys (the sequence length in self-attention).
// Parameters: none.
// Choices:
//   - #attn.feature_map<identity, keys = sequence_scale>: the whole 1/n on
//     the keys (K / Nk, the same product as 1/sqrt(n) on each side), the
//     queries unmapped; n = Nk read at run time, whatever the mask keeps.
//   - The identity normalization, scale 1, non-causal.
func.func @efficient_attention_scaled(%q: tensor<?x?x?x?xf32>,
                                      %k: tensor<?x?x?x?xf32>,
                                      %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<identity, keys = sequence_scale>)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
