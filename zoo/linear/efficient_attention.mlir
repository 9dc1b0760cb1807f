// Efficient Attention: dot-product attention factorized as
// rho_q(Q) (rho_k(K)^T V), linear in the sequence length.
// ZOO.md: L06 `efficient_attention` (the softmax form; the scaling variant
// is zoo/linear/efficient_attention_scaled.mlir).
//
// Paper: "Efficient Attention: Attention with Linear Complexities"
//   (Shen et al.), WACV 2021.
// Formula:
//     rho_q(Q)[i, a] = exp(Q[i, a]) / sum_c exp(Q[i, c])   (over features)
//     rho_k(K)[j, a] = exp(K[j, a]) / sum_t exp(K[t, a])   (over the keys)
//     E = rho_q(Q) (rho_k(K)^T V)
//   i.e. o_i = sum_j (rho_q(q_i) . rho_k(k_j)) v_j: every row of weights
//   sums to 1 (rho_q's row and each column of rho_k do), so no denominator.
// Parameters: none (the head dimension of q and k is the feature count).
// Choices:
//   - #attn.feature_map<softmax, keys = sequence_softmax>: a query map and
//     a key map of their own; the key map reads all Nk keys of the (batch,
//     key head), once per call (attn_tile.sequence_map), before the work
//     items.
//   - The identity normalization, scale 1; non-causal (the key map cannot
//     be causal: the verifier refuses #attn.causal with it).
//   - The tile program computes the product in its quadratic form
//     (phi(Q) phi(K)^T then P V, tiled); the factorized order rho_k(K)^T V
//     first is the same sum in another order.
func.func @efficient_attention(%q: tensor<?x?x?x?xf32>,
                               %k: tensor<?x?x?x?xf32>,
                               %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<softmax, keys = sequence_softmax>)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
