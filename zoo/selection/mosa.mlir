// MoSA (ZOO.md P06): Mixture of Sparse Attention, expert-choice routing.
// Each head chooses the k tokens it attends among by a router score; the
// selected tokens attend to each other causally by original position and
// the head's output is scaled by the router score and scattered back.
//
// Paper: "Mixture of Sparse Attention: Content-Based Learnable Sparse
//   Attention via Expert-Choice Routing" (Piekos, Csordas, Schmidhuber),
//   2025.
// Formula, per batch b and head h (the head's own Q, K, V projections),
//   tokens x_1..x_T:
//     r    = sigmoid(X W_r^h)                    router score per token
//     I    = topk(r, k)                          k original positions
//     Q, K, V = X[I] W_q^h, X[I] W_k^h, X[I] W_v^h
//     o_a  = r_{I_a} sum_{c : I_c <= I_a} softmax_c(q_a . k_c / sqrt(d)) v_c
//     y[I_a] = o_a,  y[t] = 0 for t not in I    (scatter back)
//   cost O(k^2 + T) per head instead of O(T^2).
// Parameters: k = 64 tokens per head [verify: the paper sets k = T / rho
//   by a sparsity rho; the spec fixes k, tests use T above and below it].
// This spec, with Q, K, V given for every token and the router score r
//   [B, H, N] (the caller's sigmoid(X W_r)):
//   - selection(#attn.topk_blocks<block = 1, k = 64, pool = mean,
//     gate = given, keep_current = false, causal = false,
//     select_queries = true>) with block_scores(%r): one-token blocks, one
//     token set I per (b, head), shared by every query of the head; every
//     token is eligible (the expert choice is over the whole sequence,
//     before causality). Equal scores keep the lower index; NaN scores
//     rank last; k above T keeps every token.
//   - select_queries: the row of a token not in I selects nothing, so it
//     is 0 (the scatter back: MoSA adds nothing at those positions); a
//     token in I always sees itself, so its row is never empty.
//   - mask(#attn.causal): among the selected keys, those at original
//     positions <= the query's (the causal mask on original positions).
//   - output_gate(%r): the row of token t is scaled by r_t.
//   - The same r is the selection score and the output gate (the caller
//     passes one tensor; %r is the operand of both).
//   The output is MoSA's head output y [B, H, T, d] before the output
//   projection, exactly.
// Not expressed:
//   - The O(k^2 + T) cost: Q, K, V are given for every token and the tile
//     program visits, for each query tile, the key tiles holding selected
//     tokens (its rows outside I are excluded, not skipped); packing the
//     selected tokens into a k x k attention is not declared.
//   - The router, its projection and the dense heads of MoSA's hybrids
//     are the caller's (a hybrid layer is this spec plus a dense spec).
//   - Lowered through the tile program only (attn-run --tile-program).
// Square shapes only (r is indexed by the key position for the selection
//   and by the query position for the gate: Nq = Nk), one score row per
//   key head (MHA, as MoSA's heads each have their own K and V).
func.func @mosa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>,
                %r: tensor<?x?x?xf32> {attn.name = "router",
                                       attn.dims = ["B", "Hq", "Nk"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v output_gate(%r : tensor<?x?x?xf32>)
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 1, k = 64, pool = mean,
                                   gate = given, keep_current = false,
                                   causal = false, select_queries = true>)
       block_scores(%r : tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
