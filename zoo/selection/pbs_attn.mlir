// PBS-Attn (ZOO.md P17): Permuted Block-Sparse Attention. Tokens are
// permuted within segments so that the keys a query block needs gather in
// fewer key blocks; block-sparse attention then runs on the permuted
// sequence, causal on the original positions, and the output is permuted
// back (attention is permutation-equivariant).
//
// Paper: "Sparser Block-Sparse Attention via Token Permutation" (Wang et
//   al.), 2025; code github.com/xinghaow99/pbs-attn.
// Formula, per (b, head), a permutation pi of the tokens that maps every
//   segment of S tokens onto itself (so no token leaves its segment):
//     Q', K', V' = Q[pi], K[pi], V[pi];  pos(t) = pi(t), the original
//     position of permuted token t;
//     S_r = the key blocks of K' selected for query block r of Q'
//     o'_i = softmax_{j in S_r(i), pos(j) <= pos(i)}(q'_i . k'_j / sqrt(d)) v'
//     o = o'[pi^-1]
// Parameters: blocks of 64 [verify: the authors' block and segment sizes
//   and their selection rule]; the selection here is FlexPrefill's
//   cumulative mass 0.9 per query block (one of the block-sparse
//   selectors PBS-Attn plugs into [verify]).
// This spec: Q, K, V already permuted by the caller (the permutation, its
//   importance score and the un-permutation are the caller's: O(N d)
//   gathers), and the original positions as captures %qpos [B, Nq],
//   %kpos [B, Nk] (i32):
//   - selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean,
//     q_block = 64, mass = 0.9, causal = false>): per query block of the
//     permuted queries, the shortest prefix of the key blocks of K' by
//     gate (mean query . mean key) whose softmax mass reaches 0.9, the
//     current (diagonal) blocks kept; every block eligible, because a
//     later block of the query's own segment can hold earlier original
//     positions;
//   - mask_fn: keep when kpos[b, j] <= qpos[b, i] (causality on the
//     original positions: exact whatever the permutation).
// Partial (not expressed):
//   - The permutation (segmented, query-aware key sorting) is the
//     caller's; the spec is exact for any permutation it is given.
//   - Blocks of later segments are eligible too: their keys are all
//     masked, but they can take part of the mass budget [verify: the
//     authors' code presumably restricts the selection to the causal
//     segments; a segment-level eligibility is not declared].
//   - The cost: a region mask is partial on every tile, so the visited
//     tiles are the selection's, masked per pair.
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @pbs_attn(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>,
                    %qpos: tensor<?x?xi32> {attn.name = "query_positions",
                        attn.dims = ["B", "Nq"], attn.range = [0, "Nk-1"]},
                    %kpos: tensor<?x?xi32> {attn.name = "key_positions",
                        attn.dims = ["B", "Nk"], attn.range = [0, "Nk-1"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%qpos, %kpos : tensor<?x?xi32>, tensor<?x?xi32>)
       selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean,
                                   q_block = 64, mass = 0.9,
                                   causal = false>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index,
            %qp: tensor<?x?xi32>, %kp: tensor<?x?xi32>):
         %pi = tensor.extract %qp[%b, %i] : tensor<?x?xi32>
         %pj = tensor.extract %kp[%b, %j] : tensor<?x?xi32>
         %keep = arith.cmpi sle, %pj, %pi : i32
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
