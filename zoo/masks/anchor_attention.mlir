// AnchorAttention: packed documents with one shared anchor token.
// ZOO.md: M05 `anchor_attention`.
//
// Paper: "When Precision Meets Position: BFloat16 Breaks Down RoPE in
//   Long-Context Training", Wang et al., 2024.
// Formula: sequences packed from several documents; every token attends
//   causally within its own document and to the first token of the packed
//   sequence, the shared anchor:
//     keep(i, j) = j <= i and (doc(i) == doc(j) or j == 0)
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
// Parameters:
//   - doc ids: the op's segment_ids operands ([B, Nq], [B, Nk]); the random
//     test draws sorted document ids.
//   - anchor = the first token (#attn.sinks<1>), scale 1/sqrt(d).
// Choices and [verify] items:
//   - Position ids: the anchor keeps one consistent position id (0) and the
//     paper resets the other tokens' positions per document [verify: the
//     abstract only says the anchor has a consistent position id]. RoPE is
//     applied to q and k by the caller with those position ids, so the
//     attention op itself sees rotated q and k; the spec is exact for the
//     attention computation given them.
//   - The anchor is visible to every document, including itself (j = 0 is
//     in document 0 as well).
func.func @anchor_attention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                            %v: tensor<?x?x?x?xf32>, %qdoc: tensor<?x?xi32>,
                            %kdoc: tensor<?x?xi32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       segment_ids(%qdoc, %kdoc : tensor<?x?xi32>, tensor<?x?xi32>)
       mask(#attn.and<[#attn.causal, #attn.or<[#attn.document, #attn.sinks<1>]>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
