// Landmark Attention (ZOO.md P21), inference with block retrieval: a
// landmark token closes every block of the sequence and represents it;
// each query retrieves the blocks whose landmark keys score highest and
// attends to their tokens.
//
// Paper: "Landmark Attention: Random-Access Infinite Context Length for
//   Transformers" (Mohtashami, Jaggi), NeurIPS 2023.
// Formula, per query token i (aligned position p = i + Nk - Nq), the
//   sequence laid out in blocks of L tokens whose last token is the
//   block's landmark (the caller inserts it after every L - 1 tokens):
//     g_{i,c} = q_i . k_{landmark(c)}          (blocks with c L <= p)
//     S_i     = {current block floor(p / L)} + the best landmark scores,
//               k blocks in all
//     o_i     = softmax_{j in S_i, j <= p, j not a landmark}(q_i . k_j / sqrt(d)) v
// Parameters: L = 50 (the paper's block length: 49 tokens and the
//   landmark [verify]) and k = 5 retrieved blocks, the current one
//   included [verify: the paper's evaluation retrieves 2 to 4 blocks
//   besides the local context].
// Choices:
//   - #attn.topk_blocks<block = 50, k = 5, pool = last>: the pooled key
//     of a block is its last key, the landmark (the partial block at the
//     end has none yet: it is the current block of the last queries and
//     always kept, so its gate is never read). Equal scores prefer the
//     lower block index, NaN scores rank last, k above the eligible
//     blocks takes all of them.
//   - mask(#attn.causal) and a mask_fn that drops the landmark keys
//     (j mod 50 = 49) from the attended keys: the landmark only selects
//     its block [verify: whether retrieval keeps the landmark's own
//     value; the training form gives it none].
// Partial (not expressed):
//   - The grouped softmax of training (and of the paper's retrieval
//     variant): the weight of token j of block g is the softmax within g
//     times the weight of g's landmark in a softmax over the landmarks
//     and the current block's tokens; here the retrieved tokens share one
//     softmax. Plan: a two-level normalization whose inner groups are the
//     key blocks, lowered as one partial (max, sum, accumulator) per
//     block merged with the landmark's logit, the LSE merge of split-KV.
//   - The cache of retrieved blocks across calls (wave 3).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @landmark(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 50, k = 5, pool = last>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %block = arith.constant 50 : index
         %last = arith.constant 49 : index
         %r = arith.remui %j, %block : index
         %keep = arith.cmpi ne, %r, %last : index
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
