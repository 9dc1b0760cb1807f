// NSA-style sparse attention: compressed, selected and sliding-window
// branches combined by gates (not a roster entry; issue 16's example of
// gated branches, the pattern SSA and MoBA-style methods build on).
//
// Paper: "Native Sparse Attention: Hardware-Aligned and Natively Trainable
//   Sparse Attention" (Yuan et al., DeepSeek), 2025.
// Formula, per query i at aligned position p = i + Nk - Nq:
//     o_i = g_cmp[i] * Attn(q_i, Kcmp, Vcmp) + g_slc[i] * Attn(q_i, Kslc, Vslc)
//         + g_win[i] * Attn(q_i, Kwin, Vwin)
//   - compressed: one key and value per block of l = 32 tokens (mean
//     pooled), visible when the block ends at or before p;
//   - selected: the top-n blocks of l' = 64 tokens, causal inside;
//   - window: the w = 512 keys up to p;
//   with gates g in [0, 1] (a sigmoid MLP per head and query in NSA,
//   operands here).
// Parameters: l = 32, l' = 64, n = 16 (the initial block and the local
//   blocks included), w = 512 (the paper's).
// Choices:
//   - Compressed keys and values are block means (attn.pool_blocks), not
//     NSA's learned MLP with intra-block position encoding, over
//     non-overlapping blocks (the paper's stride d = 16 < l overlaps them)
//     [approximation]. The visibility rule reads the original key length
//     through a capture of K (tensor.dim): (c + 1) * 32 - 1 <= p. Rows with
//     no complete block yet are fully masked there (0).
//   - Selection: #attn.topk_blocks<block = 64, k = 16, pool = mean,
//     sinks = 1, local = 1> per query token and head, the current block
//     kept: the initial block and 2 local blocks (current + 1) [verify].
//     NSA ranks the blocks by the compressed branch's attention
//     probabilities summed over the GQA group (shared by its heads); here
//     the gate is q . mean(K of the block) per head [approximation].
//   - Window: #attn.window<left = 511, right = 0> (causal by construction).
//   - Gates: [B, Hq, Nq] operands g_cmp, g_slc, g_win (attn.gated_sum).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @nsa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %g_cmp: tensor<?x?x?xf32> {attn.name = "g_cmp"},
               %g_slc: tensor<?x?x?xf32> {attn.name = "g_slc"},
               %g_win: tensor<?x?x?xf32> {attn.name = "g_win"})
    -> tensor<?x?x?x?xf32> {
  %kc = attn.pool_blocks %k block(32)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %vc = attn.pool_blocks %v block(32)
       : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %ocmp = attn.attention %q, %kc, %vc captures(%k : tensor<?x?x?x?xf32>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %c: index,
            %kfull: tensor<?x?x?x?xf32>):
         %two = arith.constant 2 : index
         %l = arith.constant 32 : index
         %nk = tensor.dim %kfull, %two : tensor<?x?x?x?xf32>
         %nq = attn.query_length : index
         // (c + 1) * l - 1 <= i + Nk - Nq, as (c + 1) * l + Nq <= i + Nk + 1
         %one = arith.constant 1 : index
         %c1 = arith.addi %c, %one : index
         %end = arith.muli %c1, %l : index
         %lhs = arith.addi %end, %nq : index
         %i1 = arith.addi %i, %one : index
         %rhs = arith.addi %i1, %nk : index
         %keep = arith.cmpi ule, %lhs, %rhs : index
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %oslc = attn.attention %q, %k, %v mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 16, pool = mean,
                                   sinks = 1, local = 1>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %owin = attn.attention %q, %k, %v mask(#attn.window<left = 511, right = 0>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %o = attn.gated_sum %ocmp, %oslc, %owin
       gates(%g_cmp, %g_slc, %g_win
             : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
