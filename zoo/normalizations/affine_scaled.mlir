// Affine-scaled attention: input-dependent scale and bias on the weights.
// ZOO.md: N07 `affine_scaled`.
//
// Paper: "Affine-Scaled Attention: Towards Flexible and Stable Transformer
//   Attention", 2025.
// Formula: the softmax weights are relaxed from summing to 1 by a
//   per-(token, head) affine map:
//     O_i = sum_j (alpha_i P_ij + beta_i) v_j,  P = softmax(Q K^T / sqrt(d))
//   over the keys the (causal) mask keeps.
// Parameters: alpha[b, h, i], beta[b, h, i]: per query and head, computed
//   from x by the caller [verify: the exact parameterisation of alpha and
//   beta, e.g. sigmoid/tanh projections of the token]; causal.
// Choices:
//   - weight_mod w' = alpha_i w + beta_i on every kept key (the bias term is
//     beta_i * sum_{j kept} v_j, a prefix sum under the causal mask); the
//     weight_mod needs the final softmax normalizer: two-pass lowering.
//   - Masked keys get no beta (they are not in the sum).
//   - Uses weight_mod: compiled with the untiled lowering until the tiled
//     one supports it.
func.func @affine_scaled(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>,
                         %alpha: tensor<?x?x?xf32> {attn.dims = ["B", "Hq", "Nq"]},
                         %beta: tensor<?x?x?xf32> {attn.dims = ["B", "Hq", "Nq"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%alpha, %beta : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       mask(#attn.causal)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index,
            %ta: tensor<?x?x?xf32>, %tb: tensor<?x?x?xf32>):
         %a = tensor.extract %ta[%b, %h, %i] : tensor<?x?x?xf32>
         %c = tensor.extract %tb[%b, %h, %i] : tensor<?x?x?xf32>
         %x = math.fma %a, %w, %c : f32
         attn.yield %x : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
