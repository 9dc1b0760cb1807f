// L2ViT, its linear global attention layer. ZOO.md: Y07 `l2vit`.
//
// Paper: "The Linear Attention Resurrection in Vision Transformer"
//   (Zheng), 2025 [verify: authors and year].
// Formula (one head, N image tokens, non-causal):
//     o_i = phi(q_i)^T sum_j phi(k_j) v_j^T / phi(q_i)^T sum_j phi(k_j),
//     phi = ReLU [verify],
//   then the local concentration module (LCM: depthwise convolutions over
//   the token grid of the attention output [verify]) sharpens the output.
// Choices:
//   - L2ViT alternates this layer with local window attention
//     (`l2vit_window.mlir`) across blocks, as Gemma 2 (Y01) alternates its
//     local and global layers: Y07's attention is the two specs.
//   - feature_map relu, identity normalization with l1 (the denominator),
//     scale 1 [verify], no mask: the global O(N) form of the tile program
//     (one state per head, phi(Q) (phi(K)^T V)).
//   - The LCM (a depthwise conv after the attention, with its norm and
//     activation) is the caller's: it mixes neighbouring output tokens,
//     not attention weights. The paper's small epsilon in the denominator
//     [verify] is not declared (a row whose ReLU features are all 0 gets
//     0, as in the reference).
func.func @l2vit_global(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<relu>)
       normalization(#attn.normalize<identity, l1>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
