// MHE: multi-head embeddings, one shared projection plus per-head vectors.
// ZOO.md: H10 `mhe`.
//
// Paper: "Pit One Against Many: Leveraging Attention-head Embeddings for
//   Parameter-efficient Multi-head Attention", Xue and Aletras, 2023.
// Formula: instead of H separate Q/K/V projections, one shared projection
//   per Q/K/V plus one embedding vector per head, combined additively or
//   multiplicatively [verify: both variants are in the paper]:
//     q_h = x W_Q + e^Q_h   (MHE-ADD)  or  q_h = (x W_Q) * e^Q_h  (MHE-MUL)
//   (same for k, v), then standard attention per head.
// Exact formulation: the head-specific Q/K/V are produced by the caller's
//   projection (a prologue, cheaper than H projections: that is the
//   paper's parameter saving); the attention is standard multi-head
//   attention: this spec.
// Parameters: combine mode (caller's); scale 1/sqrt(d); no mask (the
//   paper evaluates encoders and decoders; a decoder adds
//   mask(#attn.causal)).
func.func @mhe(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
