// Gemma 2, global attention layer. ZOO.md: Y01 `gemma2` (second layer kind).
//
// Paper: "Gemma 2: Improving Open Language Models at a Practical Size",
//   Gemma Team, Google DeepMind, 2024.
// Formula:
//   s_ij = cap * tanh((q_i . k_j * scale) / cap), keep j <= i,
//   o_i = sum_j softmax_j(s_ij) v_j.
// Parameters:
//   cap = 50.0: attention-logit soft-capping [verify].
//   Global span 8192 [verify]: the training context length, not a mask; a
//     global layer is plain causal attention over the whole context.
//   GQA with Hq = 2 * Hkv [verify], from the shapes.
//   scale = 1/sqrt(d), the dialect's default (2B and 9B; see
//     zoo/hybrids/gemma2.mlir for the 27B model's query scale).
// Choices:
//   - Layers alternate this spec with the local layer,
//     zoo/hybrids/gemma2.mlir; the interleaving is a model-level choice, one
//     spec per layer kind.
//   - This is zoo/basics/causal.mlir plus the soft-cap; bf16 as released.
func.func @gemma2_global(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                         %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       score_mods([#attn.softcap<50.0>])
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
