// S2AFormer (ZOO.md P12): strip self-attention, queries over spatially
// downsampled keys and values with a compressed query/key channel width.
//
// Paper: "S2AFormer: Strip Self-Attention for Efficient Vision Transformer"
//   (2025).
// Formula, per (b, h), N = H x W tokens, reduction r:
//     K' = pool_r(K), V' = pool_r(V)           (N / r^2 tokens)
//     o_i = softmax_j(q_i . k'_j / sqrt(d_qk)) v'_j
//   with q, k of width d_qk < d_v (channel compression): cost
//   N * (N / r^2) * d_qk.
// This spec: the attention over the pooled tokens, non-causal, with
//   D = d_qk and Dv = d_v independent (--shape B,Hq,Hkv,Nq,Nk,D,Dv with
//   Nk = N / r^2).
// Parameters: r and d_qk are the caller's (the pooled K/V extents and the
//   Q/K projection width) [verify: the paper's per-stage values].
// Partial (not expressed in the dialect; the caller's):
//   - The spatial pooling of K and V (an r x r pooling of the token grid,
//     or the paper's strip-shaped downsampling [verify]) and the
//     projections; attention over pooled K and V is not declared as such
//     (#attn.topk_blocks pools keys only to rank blocks).
//   - Lowered through the tile program (attn-run --tile-program).
func.func @s2aformer(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
