// BiFormer (ZOO.md P19): bi-level routing attention. Coarse region-to-region
// routing by region means, then token-to-token attention over the union of
// the routed regions (non-causal vision attention).
//
// Paper: "BiFormer: Vision Transformer with Bi-Level Routing Attention"
//   (Zhu et al.), CVPR 2023.
// Formula, per (b, h), the H x W token grid split into S x S regions of
// R = (H/S)(W/S) tokens, the tokens laid out region by region:
//     Q^r_r = mean(q_i for i in region r)     K^r_c = mean(k_j for j in c)
//     A^r_{r,c} = Q^r_r . K^r_c                   (every region c)
//     I_r = the top-k regions c by A^r_{r,c}    (the own region not forced)
//     o_i = softmax_{j in regions I_r(i)}(q_i.k_j / sqrt(d)) v
// Parameters: R = 16 tokens (4 x 4 regions: stage 2 of BiFormer-S at
//   224 px, a 28 x 28 map with S = 7), k = 4 (its stage-2 top-k)
//   [verify: per-stage topks = 1, 4, 16, all]; other stages change only
//   `block`, `q_block` and `k`.
// Choices:
//   - #attn.topk_blocks<block = 16, q_block = 16, pool = mean, k = 4,
//     keep_current = false, causal = false>: one selection per query
//     region (q_block = block: query and key regions coincide), every
//     region eligible (causal = false), no always-kept region. Top-k on
//     the raw dot product: the router's scale does not change the ranking.
//     Equal gates prefer the lower region index (torch.topk's order on
//     ties is unspecified).
//   - Region-major layout: the caller permutes the H x W grid into regions
//     (BiFormer's code does the same rearrange before routing); a region
//     of a grid that S does not divide is not BiFormer's (its code pads);
//     here a last partial block is pooled over its actual tokens.
//   - No mask: every token of a routed region is attended (non-causal).
// Deviations / not expressed:
//   - Per-head routing. BiFormer routes once for all heads, on the region
//     means of all channels (the gate is the sum over heads of the
//     per-head gates); here each head routes on its own channels. Exact
//     for one head (Hq = 1); a sum-over-heads group gate is not declared
//     (head_group's gate is the mean query against one key head, and
//     proxy_heads' the mean query against the mean key).
//   - The local context enhancement (a depthwise convolution of V added
//     to the output) and the Q/K/V projections are the caller's.
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @biformer(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 16, k = 4, pool = mean,
                                   keep_current = false, q_block = 16,
                                   causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
