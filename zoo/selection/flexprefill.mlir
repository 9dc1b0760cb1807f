// FlexPrefill (ZOO.md P22), query-aware pattern: per query block, the
// smallest set of key blocks whose estimated attention mass reaches gamma.
//
// Paper: "FlexPrefill: A Context-Aware Sparse Attention Mechanism for
//   Efficient Long-Sequence Inference" (Lai et al.), ICLR 2025.
// Formula, per (b, h) and query block r of B queries (aligned positions
// [p0, p1]), key blocks of B tokens:
//     qbar_r = mean(q_i for i in query block r)
//     kbar_c = mean(k_j for j in key block c)
//     a_{r,c} = softmax_c(qbar_r . kbar_c / sqrt(d))   over c*B <= p1
//     S_r = {current blocks, block 0} + the blocks by decreasing a_{r,c}
//           until their mass reaches gamma (ties: lower block index)
//     o_i = softmax_{j in S_r(i), j <= p}(q_i.k_j / sqrt(d)) v
// Parameters: B = 128 and gamma = 0.9 (the authors' defaults).
// Choices:
//   - #attn.topk_blocks<..., q_block = 128, mass = 0.9, sinks = 1>: the
//     current (diagonal) blocks and the first block are always kept and
//     count toward gamma (the authors' code forces the diagonal and the
//     first column into its vertical-slash union); k = 1000000 sets no
//     cap (the code's max_budget defaults to none).
//   - Per query block: every query block reaches gamma on its own. The
//     authors' code flattens the block-attention map of a whole head and
//     keeps its entries in decreasing order while their running sum stays
//     within gamma times the number of query blocks (one budget per head);
//     that global rule is not expressed here.
//   - Its partial last query block is averaged over its actual queries
//     (the code zero-pads and divides by B: a smaller gate scale there).
//   - Left out: the per-head pattern choice (Jensen-Shannon divergence
//     between the last query block's estimate and the pooled one, with
//     threshold tau) and the vertical-slash pattern it falls back to, and
//     the min/max budgets: a spec states the query-aware heads' selection.
//   - mask(#attn.causal): the current blocks are causal inside.
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @flexprefill(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                       %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 128, k = 1000000, pool = mean,
                                   q_block = 128, mass = 0.9, sinks = 1>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
