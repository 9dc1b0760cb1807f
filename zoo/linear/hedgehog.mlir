// Hedgehog: linear attention with a learned exponential feature map that
// mimics softmax (spiky and monotonic weights).
// ZOO.md: L04 `hedgehog`.
//
// Paper: "The Hedgehog & the Porcupine: Expressive Linear Attentions with
//   Softmax Mimicry" (Zhang et al.), ICLR 2024.
// Formula:
//     phi_h(x) = [exp(W_h x + b_h) || exp(-W_h x - b_h)]   (2F features)
//     o_i = phi(q_i)^T sum_{j <= i} phi(k_j) v_j^T
//           / phi(q_i)^T sum_{j <= i} phi(k_j)
// Parameters: W [H, F, D] and b [H, F] per head, trained by attention
//   distillation (cross-entropy between the softmax weights and these
//   linear ones) [verify]; F = D in the paper's main models [verify].
// Choices:
//   - The map is #attn.feature_map<hedgehog> with W and b as the operands
//     of its group; one map per query head shared by q and k (the keys a
//     head reads are mapped with that head's W and b).
//   - Causal with the l1 normalization (the denominator), scale 1.
//   - The feature dimension 2F is independent of D: the chunked O(N) form
//     carries a [2F x Dv] state (attn-run --tile-program; chunks of 64).
func.func @hedgehog(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>,
                    %w: tensor<?x?x?xf32> {attn.name = "W"},
                    %b: tensor<?x?xf32> {attn.name = "b"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<hedgehog>, %w, %b
                   : tensor<?x?x?xf32>, tensor<?x?xf32>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
