// Select and Pack Attention (ZOO.md P13): a gating layer picks the
// informative tokens of each image; attention runs among the selected
// tokens only.
//
// Paper: "Context-Aware Token Selection and Packing for Enhanced Vision
//   Transformer" (2024).
// Formula, per image b (all heads), gate scores r_j = gate(x_j) from a
//   low-cost gating layer (supervised by selection labels):
//     S_b = the k tokens with the highest r_j         (the gate budget)
//     o_i = softmax_{j in S_b}(q_i . k_j / sqrt(d)) v_j    for i in S_b
//   the selected tokens are packed into variable-length batches so only
//   they are computed; the others bypass attention.
// This spec: selection(#attn.topk_blocks<block = 1, k = 98, pool = mean,
//   gate = given, keep_current = false, causal = false>) with
//   block_scores(%r : [B, 1, N]): one key set per image, shared by every
//   head and query; non-causal. k = 98 (half of a 14 x 14 grid) [verify:
//   the paper's budget per stage].
// Partial (not expressed):
//   - Query selection and packing: every query row is computed over the
//     selected keys; the caller keeps the rows of S_b (exact for them) and
//     routes the others around attention. Gathering the queries into
//     packed variable-length batches (the paper's efficiency) is not
//     declared.
//   - The gating layer, its supervision and the budget schedule are the
//     caller's (the scores are an operand).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @select_and_pack(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                           %v: tensor<?x?x?x?xf32>,
                           %r: tensor<?x1x?xf32> {attn.name = "gate_scores"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 1, k = 98, pool = mean,
                                   gate = given, keep_current = false,
                                   causal = false>)
       block_scores(%r : tensor<?x1x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
