// TAB: a single-head attention bottleneck whose total attention is <= 1.
// ZOO.md: N03 `tab_bottleneck`.
//
// Paper: "TAB: Transformer Attention Bottlenecks enable User Intervention
//   and Debugging in Vision-Language Models", 2024.
// Formula: after multi-head self-attention, a single-head bottleneck
//   attention over the image patches whose weights sum to at most 1, so
//   that a total of 0 passes no visual information (and a user can edit
//   the map). Softmax with an extra null logit (a key with zero value):
//     p_ij = exp(s_ij) / (exp(z) + sum_j' exp(s_ij')),  sum_j p_ij <= 1
//     o_i = sum_j p_ij v_j
// Parameters: z, the null logit, per head: the sink_logits operand [Hq]
//   (a single head in TAB: Hq = 1; the spec is shape-generic); scale
//   1/sqrt(d); no mask over patches.
// Choices and [verify] items:
//   - The abstract does not name the normalizer; "softmax with a null
//     logit" satisfies total mass in [0, 1] (1 - sum_j p_ij =
//     exp(z) / (exp(z) + sum exp(s))) and is chosen here; a sigmoid
//     normalization (#attn.normalize<sigmoid>) would also bound each weight
//     but not the total [verify against the paper's definition].
//   - Whether z is learned, fixed (e.g. 0) or per layer: an operand, so any.
//   - Uses sink_logits: compiled with the untiled lowering until the tiled
//     one supports it.
func.func @tab_bottleneck(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                          %v: tensor<?x?x?x?xf32>, %null: tensor<?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v sink_logits(%null : tensor<?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
