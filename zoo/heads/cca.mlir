// Compressed Convolutional Attention (CCA / CCGQA): attention in a shared
// compressed latent space. ZOO.md: H14 `cca`.
//
// Paper: "Compressed Convolutional Attention: Efficient Attention in a
//   Compressed Latent Space", Figliolia et al., 2025.
// Formula: Q, K, V are down-projected to a latent of width d_model / C
//   (C the compression factor); the whole attention runs in that latent
//   (fewer or narrower heads), so parameters, KV cache and FLOPs shrink by
//   C; CCGQA adds GQA head sharing. The latent q and k are mixed by causal
//   convolutions along the sequence and the channels before attention
//   [verify: the exact mixing, e.g. two depthwise causal convs and q-k mean
//   sharing]; the output is up-projected.
//     o_ih = sum_{j<=i} softmax_j(q~_ih . k~_{j, g(h)} / sqrt(d~)) v~_{j, g(h)}
// Exact formulation: the down-projections, the convolutions and the
//   up-projection are the caller's prologue/epilogue (none crosses the
//   attention's softmax); the attention in the latent space is standard
//   causal GQA attention with small head dimension d~: this spec (GQA from
//   the shapes).
// Parameters: compression factor C and GQA groups: shapes (d~ = D, Hq,
//   Hkv); scale 1/sqrt(d~) [verify: latent head-dim scaling]; causal.
func.func @cca(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
