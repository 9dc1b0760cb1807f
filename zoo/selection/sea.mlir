// SEA (ZOO.md Y12): Sparse attention with an Estimated Attention mask. A
// linear-time estimate of the attention matrix, compressed to N x K
// columns, picks each query's top-k columns; exact softmax attention runs
// on the keys those columns cover.
//
// Paper: "SEA: Sparse Linear Attention with Estimated Attention Mask"
//   (ZOO.md Y12, source 004 of the roster).
// Formula, per query i at aligned position p = i + Nk - Nq, with the
// estimate E[b, hk, i, c] of query i's attention to compressed column c
// (column c covering keys [c * 16, (c + 1) * 16)):
//     S_i = the top-k columns c by E[., i, c] among c * 16 <= p
//     o_i = softmax_{j in S_i, j <= p}(q_i . k_j / sqrt(d)) v_j
//   (the interpolation of the compressed N x K mask to N x N is the
//   broadcast of a column to its keys).
// Parameters: columns of 16 keys (K = ceil(Nk / 16)), k = 8 columns per
//   query [verify: SEA fixes K and k; a spec fixes the keys per column,
//   so K grows with the length], scale 1/sqrt(d), causal (the paper's
//   language models).
// Choices:
//   - selection(#attn.topk_blocks<block = 16, k = 8, q_block = 1,
//     gate = given, keep_current = false>) with
//     block_scores(%estimate : [B, Hk, Nq, ceil(Nk / 16)]): one score row
//     per query (q_block = 1 is per token), ranked among the query's past
//     columns (causal eligibility), ties to the lower column, NaN last;
//     the own column is not forced (the estimate ranks it) [verify].
//   - mask(#attn.causal): inside a selected column a query sees only its
//     past.
// Not expressed: the estimate itself (Performer random features of q and
//   k, the linear-attention pass that produces the compressed N x K
//   matrix and SEA's decoder of it) is the caller's, as a gate: a
//   selection gate computed by a feature map (`gate = feature_map`, the
//   row's plan) is not declared; an interpolation other than the
//   columns' broadcast [verify: SEA resizes the compressed mask]. Lowered
//   through the tile program only (attn-run --tile-program).
func.func @sea(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %estimate: tensor<?x?x?x?xf32> {attn.name = "estimate"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 16, k = 8, pool = mean,
                                   q_block = 1, keep_current = false,
                                   gate = given>)
       block_scores(%estimate : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
