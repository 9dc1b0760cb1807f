// Gemma 2, local (sliding-window) attention layer. ZOO.md: Y01 `gemma2`.
//
// Paper: "Gemma 2: Improving Open Language Models at a Practical Size",
//   Gemma Team, Google DeepMind, 2024.
// Formula:
//   s_ij = cap * tanh((q_i . k_j * scale) / cap), keep j with
//   i - W < j <= i, o_i = sum_j softmax_j(s_ij) v_j.
// Parameters (paper; [verify] marks ZOO.md's flag on them):
//   W = 4096: sliding window of the local layers; layers alternate local and
//     global (span 8192) attention [verify]. The global layer is
//     zoo/hybrids/gemma2_global.mlir.
//   cap = 50.0: attention-logit soft-capping (the final-logit cap, 30.0,
//     acts on the LM head, outside attention) [verify].
//   GQA with 2 query heads per KV head (num_groups = 2) [verify]: the spec
//     is shape-generic, so this is Hq = 2 * Hkv on the q and k/v shapes, not
//     a clause of the op.
//   scale = 1/sqrt(d), the dialect's default: right for the 2B and 9B models
//     (head_dim 256). The 27B model scales queries by
//     (d_model / num_heads)^-1/2 = 144^-1/2 with head_dim 128 [verify]; its
//     spec would add scale(0.083333333333333329).
// Choices:
//   - Window of W tokens including the query: #attn.window<left = 4095,
//     right = 0>, with #attn.causal made explicit (the window is causal on
//     its own with right = 0).
//   - Soft-capping before masking and softmax, as in the paper: the
//     dialect applies score_mods to the scaled scores, then the mask.
//   - bf16, the dtype of the released checkpoints.
func.func @gemma2_local(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                        %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 4095, right = 0>]>)
       score_mods([#attn.softcap<50.0>])
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
