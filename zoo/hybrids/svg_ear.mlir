// SVG-EAR (ZOO.md Y10): sparse attention whose skipped blocks are
// compensated by their cluster centroids, the exactly computed blocks
// chosen by an error-aware route.
//
// Paper: "SVG-EAR: Parameter-Free Linear Compensation for Sparse Video
//   Generation via Error-aware Routing" (ZOO.md Y10, source 002 of the
//   roster).
// Formula, per query block r (of Bq queries) and key clusters c (n_c
// tokens, centroid key kbar_c, mean value vbar_c):
//     E_r = the k clusters with the highest routing score e[r, c] (the
//           probe's estimated compensation error of c over its cost)
//     o_i = ( sum_{c in E_r} sum_{j in c} exp(s_ij) v_j
//           + sum_{c not in E_r} n_c exp(scale q_i . kbar_c) vbar_c )
//         / ( sum_{c in E_r} sum_{j in c} exp(s_ij)
//           + sum_{c not in E_r} n_c exp(scale q_i . kbar_c) )
//   with s_ij = scale q_i . k_j: a compensated cluster is one pooled token
//   with logit scale q_i . kbar_c + log n_c and value vbar_c [verify: the
//   weighting by the cluster size].
// Parameters: clusters of 64 tokens, query blocks of 64, k = 4 exact
//   clusters per query block [verify: the paper sets a budget and a
//   cluster count; a spec fixes the sizes], scale 1/sqrt(d).
// Choices:
//   - Clusters are contiguous blocks of one size: the caller permutes the
//     tokens so that every semantic cluster is contiguous (the paper's
//     permutation [verify]) and, here, of 64 tokens (the last one partial).
//   - Branch 1 (exact): #attn.topk_blocks<block = 64, k = 4, q_block = 64,
//     gate = given, keep_current = false, causal = false> with
//     block_scores(%route : [B, Hk, ceil(Nq / 64), ceil(Nk / 64)]): the
//     caller's probe scores per (query block, cluster) rank the clusters
//     of each query block (a video DiT is non-causal; nothing forced).
//   - Branch 2 (compensation): attn.pool_blocks gives the centroids, the
//     mean values and log n_c (the bias); the same given selection over the
//     pooled keys (one key per cluster: block = 1) with complement = true
//     keeps the clusters branch 1 does not compute: the same scores, the
//     same ranking and tie-break, so the branches partition the clusters.
//   - attn.merge combines the two softmax branches exactly through their
//     logsumexps (one softmax over exact keys and centroids).
// Not expressed: semantic clusters of different sizes (pooling per
//   cluster needs segment ids on attn.pool_blocks, and a selection over
//   clusters of different sizes); the probe itself (the route scores are
//   the caller's: the error estimate needs the compensated and the exact
//   outputs of a few probe queries, a computation over both branches).
//   Lowered through the tile program only (attn-run --tile-program).
func.func @svg_ear(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>,
                   %route: tensor<?x?x?x?xf32> {attn.name = "route_scores"})
    -> tensor<?x?x?x?xf32> {
  %oe, %le = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 64, k = 4, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false, gate = given>)
       block_scores(%route : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %kbar, %logn = attn.pool_blocks %k block(64)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<1x1x1x?xf32>
  %vbar = attn.pool_blocks %v block(64)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %oc, %lc = attn.attention %q, %kbar, %vbar bias(%logn : tensor<1x1x1x?xf32>)
       selection(#attn.topk_blocks<block = 1, k = 4, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false, gate = given,
                                   complement = true>)
       block_scores(%route : tensor<?x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o = attn.merge %oe, %oc lse(%le, %lc : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
