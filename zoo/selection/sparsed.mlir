// SparseD (ZOO.md P10): sparse attention for diffusion language models.
// The sparse denoising steps: every step after the switch attends through
// one head-specific block pattern, computed once and reused.
//
// Paper: "SparseD: Sparse Attention for Diffusion Language Models" (Wang
//   et al.), 2025.
// Formula: a diffusion LM (LLaDA, Dream) attends bidirectionally over the
//   prompt and the tokens being denoised. For the first steps (a fraction
//   of all steps, [verify] the paper's setting) attention is full; at the
//   switch step each head computes its pattern of important (query block,
//   key block) pairs from that step's attention, with separate budgets
//   (a keep ratio) for the prompt keys and the generation keys ("isolated
//   selection"); every later step t computes
//     o_i = softmax_{j : P_h[i / Bq, j / Bk] = 1}(q_i . k_j / sqrt(d)) v
//   with the same P_h.
// Parameters: blocks Bq = Bk = 64 [verify: the authors' block size; a
//   token-level pattern is block_q = block_kv = 1 with an [Nq, Nk]
//   layout].
// This spec, the sparse steps:
//   - mask(#attn.block_sparse<block_q = 64, block_kv = 64>) with
//     block_layout(%pattern : [B, Hq, ceil(Nq / 64), ceil(Nk / 64)]): one
//     pattern per (batch, head), non-causal (bidirectional). The reuse
//     across steps is the caller passing the same pattern to every sparse
//     step (the pattern is data, so one compiled kernel serves all steps).
//   - The tile program classifies the pattern's pairs at run time: a
//     query tile visits only the key tiles its blocks keep.
//   - A query block whose pattern row is empty is a fully masked row (0).
//   - The dense early steps are the same op without a mask.
// Partial (not expressed):
//   - The pattern's computation at the switch step: per head, the top
//     ratio of key blocks per query block by attention mass, separately
//     among the prompt keys and the generation keys. `#attn.topk_blocks`
//     ranks every eligible block against one budget `k`; plan: key
//     regions with their own budgets in the selection (a region boundary
//     and one `k` or mass per region), and a `selected_layout` result
//     that returns the selection as this spec's `block_layout`.
//   - The cache of the pattern across calls is the caller's (wave 3).
func.func @sparsed(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>,
                   %pattern: tensor<?x?x?x?xi8> {attn.name = "pattern"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v block_layout(%pattern : tensor<?x?x?x?xi8>)
       mask(#attn.block_sparse<block_q = 64, block_kv = 64>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
