// Linear transformer: normalized linear attention with the ELU+1 kernel.
// Not a ZOO.md roster entry: the base form of L04 Hedgehog, L10 MALA and
// L12 RALA (their phi and normalizations differ), kept as the basic example.
//
// Paper: "Transformers are RNNs: Fast Autoregressive Transformers with
//   Linear Attention" (Katharopoulos et al.), 2020.
// Formula:
//     o_i = phi(q_i)^T sum_{j <= i} phi(k_j) v_j^T
//           / phi(q_i)^T sum_{j <= i} phi(k_j),   phi(x) = elu(x) + 1.
// Choices:
//   - feature_map elu_plus_one on q and k, scale 1, identity normalization
//     with l1 (the division by the row sum is the denominator).
//   - Causal (the autoregressive form); lowered through the tile program
//     (attn-run --tile-program).
func.func @linear_transformer(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                              %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<elu_plus_one>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
