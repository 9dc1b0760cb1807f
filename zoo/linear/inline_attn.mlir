// InLine attention (injective linear attention), its global part.
// ZOO.md: L13 `inline_attn` (partial: the 3x3 local residual is not
// expressible yet).
//
// Paper: "Bridging the Divide: Reconsidering Softmax and Linear
//   Attention" (Han et al.), NeurIPS 2024.
// Formula (global part):
//     o_i = sum_j [ phi(q_i)^T phi(k_j) - (1/N) sum_s phi(q_i)^T phi(k_s)
//                   + 1/N ] v_j
//   a subtractive normalization instead of the divisive one: the weights of
//   a row sum to 1 and are injective in the scores (softmax-like), N the
//   number of keys.
// Parameters: the kernel phi [verify: ReLU here]; the local term's 3x3
//   weights (not expressed).
// Choices:
//   - phi = relu on q and k (feature_map) [verify]; the default scale
//     1/sqrt(D) on phi(q) . phi(k).
//   - `normalization(#attn.normalize<identity, subtractive>)`: N is the
//     number of keys the mask keeps; non-causal (a vision model), so
//     N = Nk and the tile program computes the quadratic form with the
//     kept-key counts and value sums in the row state.
//   - Not expressed: the local attention residual over the 3x3
//     neighbourhood with learned per-position weights (a multi-d window
//     term added to the output), so this spec is the global branch only.
func.func @inline_attn(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                       %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<relu>)
       normalization(#attn.normalize<identity, subtractive>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
