// PISA (ZOO.md Y09): exact attention on the critical key blocks, the
// 0th-order Taylor term of every other block, merged into one softmax.
//
// Paper: "PISA: Piecewise Sparse Attention Is Wiser for Efficient
//   Diffusion Transformers", 2025 (training-free; the authors' code).
// Formula, per query block r (mean query qbar_r) and key blocks c of B
// tokens (n_c tokens, mean key kbar_c, value sum Vbar_c = sum_j v_j):
//     critical C_r = the top-k blocks by qbar_r . kbar_c
//     o_i = ( sum_{c in C_r} sum_{j in c} exp(s_ij) v_j
//           + sum_{c not in C_r} exp(scale q_i . kbar_c) Vbar_c )
//         / ( sum_{c in C_r} sum_{j in c} exp(s_ij)
//           + sum_{c not in C_r} n_c exp(scale q_i . kbar_c) )
//   with s_ij = scale q_i . k_j: a non-critical block is one pooled token
//   with logit scale q_i . kbar_c + log n_c and value Vbar_c / n_c (the
//   mean value).
// Parameters: block B = 64, k = 4 critical blocks per query block of 64
//   [verify: the paper sets a density, k = density * #blocks; a spec fixes
//   k], scale 1/sqrt(d).
// Choices:
//   - Branch 1 (critical): #attn.topk_blocks<block = 64, k = 4, pool =
//     mean, q_block = 64, keep_current = false, causal = false>: every
//     block eligible (a video DiT is non-causal), no block forced.
//   - Branch 2 (Taylor term): attn.pool_blocks gives kbar, vbar and
//     log n_c (the bias); the same selection over the pooled keys (one
//     pooled key per block: block = 1) with complement = true keeps the
//     blocks branch 1 does not select. Over one-key blocks the gates, the
//     ranking and the tie-break are those of branch 1, so the two
//     branches partition the blocks.
//   - attn.merge combines the two softmax branches exactly through their
//     logsumexps: this is the single online-softmax accumulator of the
//     paper (a row whose blocks are all critical gets nothing from
//     branch 2, whose row is then fully masked).
//   - Not covered: the 1st-order correction q^T H with
//     H = sum_t (k_t - kbar) v_t^T (the reference kernel scales one
//     global H by the mean non-critical probability). The spec is the
//     0th-order PISA.
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @pisa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %oc, %lc = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 64, k = 4, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %kbar, %logn = attn.pool_blocks %k block(64)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<1x1x1x?xf32>
  %vbar = attn.pool_blocks %v block(64)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %ot, %lt = attn.attention %q, %kbar, %vbar bias(%logn : tensor<1x1x1x?xf32>)
       selection(#attn.topk_blocks<block = 1, k = 4, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false, complement = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o = attn.merge %oc, %ot lse(%lc, %lt : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
