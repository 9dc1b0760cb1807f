// MoBA (ZOO.md P01): Mixture of Block Attention, top-k key blocks per query
// token by a gate on mean-pooled keys.
//
// Paper: "MoBA: Mixture of Block Attention for Long-Context LLMs"
//   (Lu et al., Moonshot AI), 2025.
// Formula, per query token i (aligned position p = i + Nk - Nq), key
// blocks of B tokens:
//     kbar_c = mean(k_j for j in block c)          (actual keys: the last
//                                                   block may be partial)
//     g_{i,c} = q_i . kbar_c                       (blocks with c*B <= p)
//     S_i = {current block floor(p/B)} + the best gates, k blocks in all
//     o_i = softmax_{j in S_i, j <= p}(q_i.k_j / sqrt(d)) v
// Parameters: block B = 64 and k = 3 (k counts the current block, as in
//   the authors' code, which sets the current block's gate to +inf before
//   the top-k; the paper's long-context setting is B = 4096, k = 12).
// Choices:
//   - #attn.topk_blocks<block = 64, k = 3, pool = mean>: keep_current by
//     default; equal gates prefer the lower block index, NaN gates rank
//     last; k above the eligible blocks takes all of them.
//   - mask(#attn.causal): the current block is causal inside; selected
//     past blocks are whole.
//   - The gate is the raw q . kbar (no 1/sqrt(d): it does not change the
//     ranking); attention uses the default scale 1/sqrt(d).
//   - Lowered through the tile program only (attn-run --tile-program):
//     the blocks a query tile selects are its run-time key-tile list.
func.func @moba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
