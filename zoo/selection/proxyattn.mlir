// ProxyAttn (ZOO.md P16): block-sparse prefill where a few pooled "proxy"
// heads score the blocks for all heads.
//
// Paper: "ProxyAttn: Guided Sparse Attention via Representative Heads",
//   2025.
// Formula, per batch b, proxy head g (query heads h with h / (Hq / G) = g,
// key heads hk with hk / (Hk / G) = g) and query block r of B queries
// (aligned positions [p0, p1]), key blocks of B tokens:
//     qbar_{g,r} = mean_h mean(q_{h,i} for i in query block r)
//     kbar_{g,c} = mean_hk mean(k_{hk,j} for j in key block c)
//     a_{g,r,c} = softmax_c(qbar_{g,r} . kbar_{g,c} / sqrt(d))  over c*B <= p1
//     S_{g,r} = {current blocks} + the blocks by decreasing a_{g,r,c} until
//               their mass reaches gamma (ties: lower block index)
//     o_{h,i} = softmax_{j in S_{g(h),r(i)}, j <= p}(q_i.k_j / sqrt(d)) v
// Parameters: G = 2 proxy heads, B = 64, gamma = 0.9 (the spec's, not the
// paper's settings [verify]).
// Choices:
//   - #attn.topk_blocks<head_group = true, proxy_heads = 2, q_block = 64,
//     mass = 0.9>: the heads are pooled (averaged) into G contiguous
//     groups [verify: the paper's grouping of heads into proxies], one
//     selection per (b, proxy head, query block), shared by its heads.
//     Hq and Hk must be multiples of G.
//   - Deviation: the paper's block-aware dynamic budget estimates a budget
//     per original head; here every head of a proxy group takes the
//     group's cumulative-mass set (one budget per proxy head and query
//     block). A budget per head is not expressible yet.
//   - Current (diagonal) blocks always kept, causal inside (mask).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @proxyattn(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean,
                                   q_block = 64, mass = 0.9,
                                   head_group = true, proxy_heads = 2>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
