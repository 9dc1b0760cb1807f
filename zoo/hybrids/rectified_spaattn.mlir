// Rectified SpaAttn (ZOO.md Y11): block-sparse attention rectified twice
// from pooled attention: the critical weights rescaled to their estimated
// share of the full softmax, and the non-critical blocks added back where
// the pooled estimate gains more than it errs.
//
// Paper: "Rectified SpaAttn: Revisiting Attention Sparsity for Efficient
//   Video Generation" (ZOO.md Y11, source 002 of the roster).
// Formula, per query block r (of 64 queries), key blocks c of 64 keys
// (n_c keys, mean key kbar_c, mean value vbar_c), query i in r:
//     C_r   = the top-4 blocks by qbar_r . kbar_c       (critical)
//     O_c   = softmax_{j in C_r}(s_ij) v_j              (sparse attention)
//     A_r   = the non-critical blocks whose gain exceeds their pooling
//             error (gain-aware pooling rectification)
//     O_a   = sum_{c in A_r} softmax_{c' in A_r}(scale q_i . kbar_c'
//             + log n_c') vbar_c                        (pooled attention)
//     o_i   = rho_i O_c + w_i O_a
//   with rho_i the estimated share of the critical blocks in the full
//   softmax (isolated-pooling attention reallocation, pooled per
//   modality) and w_i the estimated share of the blocks of A_r.
// Parameters: blocks of 64 keys and queries, 4 critical blocks [verify:
//   the paper's sparsity budget], scale 1/sqrt(d).
// Choices:
//   - Branch 1: #attn.topk_blocks<block = 64, k = 4, q_block = 64,
//     keep_current = false, causal = false> (a video DiT is non-causal).
//   - Branch 2: attn.pool_blocks gives kbar, vbar and log n_c; over the
//     pooled keys (one per block: block = 1) a given selection per query
//     block, block_scores(%gain : [B, Hk, ceil(Nq / 64), ceil(Nk / 64)])
//     with min_score = 0.0: block c is added back for query block r when
//     the caller's gain-minus-error score is at least 0. The scores come
//     from the same pooled attention that ranks the critical blocks, so
//     the caller marks the critical blocks as failing (negative or NaN):
//     the two branches cover disjoint blocks.
//   - o = attn.gated_sum with row gates rho [B, Hq, Nq] and w [B, Hq, Nq]:
//     the paper's estimated factors, not the exact renormalization of
//     attn.merge (which PISA, Y09, uses).
// Not expressed: the estimates themselves (rho per modality, w, the gain
//   and the pooling error per block pair are the caller's, from pooled
//   Q-K attention) [verify: their formulas]; the per-modality pooling.
//   Lowered through the tile program only (attn-run --tile-program).
func.func @rectified_spaattn(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                             %v: tensor<?x?x?x?xf32>,
                             %gain: tensor<?x?x?x?xf32> {attn.name = "gain_scores"},
                             %rho: tensor<?x?x?xf32> {attn.name = "rho"},
                             %w: tensor<?x?x?xf32> {attn.name = "w"})
    -> tensor<?x?x?x?xf32> {
  %oc = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 64, k = 4, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %kbar, %logn = attn.pool_blocks %k block(64)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<1x1x1x?xf32>
  %vbar = attn.pool_blocks %v block(64)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %oa = attn.attention %q, %kbar, %vbar bias(%logn : tensor<1x1x1x?xf32>)
       selection(#attn.topk_blocks<block = 1, k = 1000000, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false, gate = given,
                                   min_score = 0.0>)
       block_scores(%gain : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %o = attn.gated_sum %oc, %oa gates(%rho, %w : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
