// Gated Slot Attention, pass 2 of 2: the readout, GLA over the m slots.
// ZOO.md: L08 `gated_slot` (the formula, pass 1 and the caller's reshapes
// between the passes: `gated_slot_scores.mlir`).
//
// Formula (per head):
//     o_t = sum_{j <= t} sum_c softmax(s_t)_c (1 - alpha_jc)
//           prod_{r=j+1..t} alpha_rc v_j  =  V~_t^T softmax(K~_t q_t)
//   with s_t = K~_t q_t the slot scores of pass 1 ([B, H, N, m]).
// Choices:
//   - Query: the slot scores, mapped by the softmax over the m slots
//     (`#attn.feature_map<softmax, keys = identity>`); keys: 1 - alpha
//     [B, H, N, m]; the gate alpha as the rank-4 `decay` [B, H, N, m] (one
//     per slot channel); values v. Scale 1 [verify], identity
//     normalization, causal: the chunked O(N) form of the tile program.
func.func @gsa_readout(%s: tensor<?x?x?x?xf32> {attn.name = "slot_scores"},
                       %gate: tensor<?x?x?x?xf32> {attn.name = "one_minus_alpha"},
                       %v: tensor<?x?x?x?xf32>,
                       %a: tensor<?x?x?x?xf32> {attn.name = "alpha"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %s, %gate, %v
       decay(%a : tensor<?x?x?x?xf32>)
       feature_map(#attn.feature_map<softmax, keys = identity>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
