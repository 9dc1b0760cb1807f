// DMA (ZOO.md P15): Trainable Dynamic Mask Sparse Attention. A per-key score
// derived from the values is added to the logits and selects the top-w
// keys of each key head, shared by its queries, intersected with causality.
//
// Paper: "Trainable Dynamic Mask Sparse Attention" (Shi et al.), 2025.
// Formula (authors' code), per batch b, key head hk and key j:
//     delta_j = exp(A_hk * softplus(v_j W_dt))     (some versions drop exp)
//     S       = the w keys with the largest delta (all keys when N <= w)
//     s_ij    = q_i . k_j / sqrt(d) + delta_j      for j in S, j <= p_i
//     o_i     = softmax_j(s_ij) v
// Parameters: w = keep_window_size = 128 here [verify: the authors'
//   default is 2048; the spec fixes w, tests use lengths above and below
//   it].
// Choices:
//   - selection(#attn.topk_blocks<block = 1, k = 128, pool = mean,
//     gate = given, keep_current = false, causal = false>) with
//     block_scores(%delta): one-key blocks scored by the caller's delta
//     [B, Hk, Nk], one key set per (b, key head) shared by all queries;
//     every key is eligible (the top-w is taken before causality, as the
//     code does) and mask(#attn.causal) then removes the future ones, so a
//     query sees S intersected with its past. Equal scores keep the lower
//     index (torch.topk's tie order is unspecified); NaN scores rank last.
//   - bias(%delta_bias): the same delta added to the scaled logits,
//     [B, Hq, 1, Nk] (broadcast over the queries; the caller expands the
//     key heads to their query heads). The spec takes delta twice: the
//     caller passes the same values (a selection score that is also the
//     bias is not declared as one operand).
//   - delta itself (the projection W_dt of V, softplus, A, exp) is the
//     caller's: it depends only on V and learned weights.
// Not expressed: the training (the bias gradient); the kernel's skipping
//   of all-masked tiles is what the selection's key-tile list does.
//   Lowered through the tile program only (attn-run --tile-program).
func.func @dma(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %delta: tensor<?x?x?xf32> {attn.name = "delta"},
               %delta_bias: tensor<?x?x1x?xf32> {attn.name = "delta_bias"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v bias(%delta_bias : tensor<?x?x1x?xf32>)
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 1, k = 128, pool = mean,
                                   gate = given, keep_current = false,
                                   causal = false>)
       block_scores(%delta : tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
