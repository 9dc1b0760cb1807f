// TCA-Attention (ZOO.md P09): Training-free Context-adaptive Attention.
// Each head keeps its own number of core context tokens, set offline per
// head; online the tokens are ranked by a lightweight redundancy metric.
//
// Paper: "Training-free Context-adaptive Attention for Efficient Long
//   Context Modeling" (ZOO.md P09; sources 000, 003, 004 of the roster).
// Formula, per batch b, key head hk (query head h reads hk = h / (Hq / Hk))
// and query i at aligned position p = i + Nk - Nq:
//     S_i = {p} u {p - 31, ..., p - 1} u top-(n_hk - kept) of {j <= p, not
//           kept} by the score r[b, hk, j]
//     o_i = softmax_{j in S_i, j <= p}(q_i . k_j / sqrt(d)) v
//   with n_hk the head's budget (kept tokens included) and r the redundancy
//   metric's score of key j (higher: less redundant, kept first).
// Parameters: two key heads with budgets n = (96, 160) tokens [verify: the
//   budgets come from the paper's offline calibration pass, one per head
//   and layer; a spec fixes them, here for a layer of two key heads], a
//   local window of the 32 most recent tokens, the query's own token
//   included [verify: the abstract does not say whether recent tokens are
//   always kept], scale 1/sqrt(d).
// Choices:
//   - selection(#attn.topk_blocks<block = 1, ..., gate = given,
//     budgets = [96, 160]>) with block_scores(%r): one-token
//     blocks ranked by the caller's scores [B, Hk, Nk], shared by the
//     queries of a key head (and by its GQA query heads), each key head
//     capped by its own budget; keep_current and local = 31 are the 32
//     always-kept recent tokens, counted in the budget as `k` counts them.
//     Causal eligibility: a query ranks only its past (prefill and decode
//     alike; Nq = 1 is a decode step).
//   - The redundancy metric itself is not in the abstract [verify]: it is
//     the caller's (block_scores), as DMA's and MoSA's scores are. With the
//     metric known and computable from Q/K/V, it would become a gate of its
//     own.
//   - The key heads are fixed to 2 in the types (one budget per key head:
//     the verifier checks the count on static shapes, the runner on the
//     actual ones).
// Not expressed: the offline calibration that sets the budgets and the KV
//   cache reduction (evicting the tokens no query keeps; wave 3). Ties in
//   the scores keep the lower index; NaN scores rank last.
//   Lowered through the tile program only (attn-run --tile-program).
func.func @tca(%q: tensor<?x?x?x?xf32>, %k: tensor<?x2x?x?xf32>,
               %v: tensor<?x2x?x?xf32>,
               %r: tensor<?x2x?xf32> {attn.name = "redundancy_scores"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 1, k = 160, pool = mean,
                                   local = 31, gate = given,
                                   budgets = [96, 160]>)
       block_scores(%r : tensor<?x2x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
