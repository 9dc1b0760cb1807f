// SLA (ZOO.md Y08): sparse-linear attention for diffusion transformers.
// The key blocks of each query block are classified from pooled attention:
// critical blocks get exact softmax attention, marginal ones linear
// attention, negligible ones nothing; the two outputs are summed.
//
// Paper: "SLA: Beyond Sparsity in Diffusion Transformers via Fine-Tunable
//   Sparse-Linear Attention" (ZOO.md Y08, source 002 of the roster; the
//   authors' code for the pooling and the block size).
// Formula, per query block r (of 64 queries) and key blocks c of 64 keys:
//     P_c[r, c] = softmax_c(pool(Q)_r . pool(K)_c / sqrt(d))   (mean pools)
//     ranked by P_c: C_r = the top kc blocks (critical),
//                    M_r = the next km blocks (marginal), the rest skipped
//     O_s[i] = softmax_{j in C_r}(q_i . k_j / sqrt(d)) v_j
//     O_l[i] = sum_{j in M_r} phi(q_i) . phi(k_j) v_j
//              / sum_{j in M_r} phi(q_i) . phi(k_j)
//     O[i]   = O_s[i] + Proj(O_l[i])
// Parameters: blocks of 64 keys and 64 queries, kc = 4 critical and
//   km = 8 marginal blocks per query block [verify: the paper sets the
//   fractions k_h% and k_l% of the blocks; a spec fixes counts, so the
//   negligible blocks are those ranked after kc + km], phi = softmax over
//   the features [verify: the paper lists softmax, elu+1, relu and
//   hedgehog; which one its models use], scale 1/sqrt(d).
// Choices:
//   - Branch 1 (critical): #attn.topk_blocks<block = 64, k = 4, q_block =
//     64, keep_current = false, causal = false>: the top kc blocks by the
//     mean-pooled gate (a video DiT is non-causal; nothing forced). The
//     ranking by P_c is the ranking by the gate (softmax is monotone).
//   - Branch 2 (marginal): the same selection with skip = 4, k = 12 keeps
//     ranks [4, 12) of the same ranking, under
//     feature_map(#attn.feature_map<softmax>),
//     normalization(#attn.normalize<identity, l1>), scale(1.0): linear
//     attention restricted to the marginal blocks, written in its
//     quadratic form (the selection is a mask there). The gate reads the
//     raw pooled rows, not phi's features, as SLA's classification does.
//     A row with no marginal block (12 blocks or fewer in all) is 0.
//   - The sum O_s + Proj(O_l): attn.gated_sum with g_sparse (the caller
//     passes ones) and an element-wise gate g_proj [1, Hq, 1, Dv], i.e.
//     Proj restricted to a per-head diagonal [approximation: SLA's Proj is
//     a learned d x d matrix mixing the output channels, initialised to
//     0; a gate is per row or per channel, so a full Proj is not
//     expressed].
// Not expressed: the full Proj; the fine-tuning; SLA's single fused kernel
//   (here two branches, the linear one quadratic in its form: it costs
//   O(N^2) over the visited tiles instead of O(N) per query block with a
//   per-block K^T V state). Lowered through the tile program only
//   (attn-run --tile-program).
func.func @sla(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %g_sparse: tensor<1x1x1xf32> {attn.name = "g_sparse"},
               %g_proj: tensor<1x?x1x?xf32> {attn.name = "g_proj"})
    -> tensor<?x?x?x?xf32> {
  %os = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 64, k = 4, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %ol = attn.attention %q, %k, %v feature_map(#attn.feature_map<softmax>)
       selection(#attn.topk_blocks<block = 64, k = 12, pool = mean,
                                   q_block = 64, keep_current = false,
                                   causal = false, skip = 4>)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %o = attn.gated_sum %os, %ol
       gates(%g_sparse, %g_proj : tensor<1x1x1xf32>, tensor<1x?x1x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
