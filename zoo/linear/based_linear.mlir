// Based, its linear attention layer: causal linear attention with the
// second-order Taylor feature map.
// ZOO.md: Y03 `based` (with its sliding-window layer,
// zoo/hybrids/based_window.mlir: Based mixes the two across the model's
// layers, not within one).
//
// Paper: "Simple linear attention language models balance the
//   recall-throughput tradeoff" (Arora et al.), ICML 2024.
// Formula:
//     phi(x) = [1, x, vec(x x^T) / sqrt(2)]        (1 + D + D^2 features)
//     phi(q) . phi(k) = 1 + q . k + (q . k)^2 / 2
//     o_i = phi(q_i)^T sum_{j <= i} phi(k_j) v_j^T
//           / phi(q_i)^T sum_{j <= i} phi(k_j)
// Parameters: the feature dimension D of q and k (d' = 16 in the paper:
//   273 features) [verify].
// Choices:
//   - #attn.feature_map<taylor2>; Based divides q and k by D^(1/4) first
//     (the expansion of exp(q . k / sqrt(D))): that prescaling folds into
//     the caller's projections, the spec takes q and k as they come.
//   - Causal with the l1 normalization (the phi(q) . sum phi(k)
//     denominator), scale 1; the chunked O(N) form carries a
//     [(1 + D + D^2) x Dv] state (attn-run --tile-program).
func.func @based_linear(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<taylor2>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
