// SeerAttention (ZOO.md P20): block-sparse attention over the key blocks a
// learned gate (AttnGate) selects per query block.
//
// Paper: "SeerAttention: Learning Intrinsic Sparse Attention in Your LLMs"
//   (Gao et al.), 2024.
// Formula, per (b, h) and query block r of B queries (aligned positions
// [p0, p1]), key blocks of B tokens:
//     qbar_r = mean(q_i for i in query block r)                  [D]
//     kbar_c = [max_j k_j, min_j k_j, mean_j k_j]  (j in block c) [3D]
//     g_{r,c} = (qbar_r Wq_h) . (kbar_c Wk_hk)                  width Dg
//     a_{r,c} = softmax_c(g_{r,c} / sqrt(Dg))        over c*B <= p1
//     S_r = {current blocks} + the best gates, k blocks in all
//           (or, with a threshold t instead, the blocks with a_{r,c} >= t)
//     o_i = softmax_{j in S_r(i), j <= p}(q_i.k_j / sqrt(d)) v
// Parameters: B = 64 (the paper's block size), k = 4 (top-k, k counting
// the current block); the paper's other inference option is a threshold
// t on a_{r,c} [verify: the values are the caller's].
// Choices:
//   - #attn.topk_blocks<pool = [max, min, mean], gate = learned,
//     q_block = 64, k = 4>: the gate's projections Wq [Hq, D, Dg] and Wk
//     [Hk, 3D, Dg] are operands (trained weights; the gate width Dg is the
//     weights' extent). The threshold variant is the same declaration
//     with k = 1000000 and threshold = t (masses on g / sqrt(Dg)).
//   - The current (diagonal) blocks are always kept (keep_current, the
//     default): the causal block-sparse kernel always computes them
//     [verify]; they are causal inside through mask(#attn.causal).
//   - Not expressed: the RoPE the AttnGate applies to the pooled rows
//     [verify]; the gate's training (block-max attention ground truth).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @seerattention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>, %wq: tensor<?x?x?xf32>,
                         %wk: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 4,
                                   pool = [max, min, mean], q_block = 64,
                                   gate = learned>,
                 %wq, %wk : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
