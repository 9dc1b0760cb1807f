// VMoBA (ZOO.md P03): Mixture-of-Block Attention for video diffusion
// transformers, in part: a layer's block partition and its threshold
// selection per query block, non-causal.
//
// Paper: "VMoBA: Mixture-of-Block Attention for Video Diffusion Models"
//   (Wu et al.), 2025.
// Formula (VMoBA), per (b, h), the video's T x H x W tokens cut into
// blocks by the layer's partition (layer-wise recurrent: 1-D temporal
// chunks, 2-D spatial, 3-D spatio-temporal cubes):
//     qbar_r = mean(q_i, i in query block r), kbar_c = mean(k_j, j in c)
//     g_{r,c} = qbar_r . kbar_c              (every pair: non-causal)
//     the pairs (r, c) of the head are added, best gates first, until
//     their cumulative similarity reaches the threshold (global over all
//     query-block x key-block pairs of the head);
//     o_i = softmax_{j in the blocks selected for r(i)}(q_i.k_j / sqrt(d)) v
// This spec: one layer's attention with its partition laid out block by
//   block (the caller's permutation of the T x H x W grid, as VMoBA's code
//   rearranges before routing), and
//   selection(#attn.topk_blocks<block = 128, q_block = 128, pool = mean,
//   mass = 0.5, keep_current = false, causal = false>): per query block,
//   the shortest prefix of its key blocks, by gate, whose softmax mass of
//   g / sqrt(d) reaches 0.5; every key block eligible, none forced.
// Parameters: blocks of 128 tokens, threshold 0.5 [verify: the paper's
//   partition sizes per layer kind and its threshold; both are
//   parameters here].
// Deviations (partial):
//   - The selection is per query block: each query block reaches the
//     threshold over its own key blocks (softmax per query block). VMoBA's
//     global selection ranks all (query block, key block) pairs of a head
//     against one threshold, so query blocks with sharp gates get fewer
//     blocks and flat ones more; a head-wide scope of the ranking is not
//     declared yet (`#attn.topk_blocks` ranks per row or query block).
//   - The normalization of the "cumulative similarity" is the softmax of
//     the scaled gates [verify].
//   - The 1-D / 2-D / 3-D partitions are the caller's layout (one layer
//     spec per partition: only the permutation and block size differ).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @vmoba(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 128, k = 1000000, pool = mean,
                                   q_block = 128, mass = 0.5,
                                   keep_current = false, causal = false>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
