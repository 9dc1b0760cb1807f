// MALA (Magnitude-Aware Linear Attention), its affine normalization and
// output gate. ZOO.md: L10 `mala` (partial: RoPE on phi and LePE are not
// expressible yet).
//
// Paper: "Rectifying Magnitude Neglect in Linear Attention", 2025.
// Formula (authors' code, as the roster states it):
//     s_ij = phi(q_i) . phi(k_j) / N,   z_i = sum_j s_ij,
//     a_ij = beta_i s_ij - gamma_i,   beta_i = 1 + 1 / z_i,
//     gamma_i = z_i / N,   so sum_j a_ij = 1,
//     o_i = (sum_j a_ij v_j) * g_i   (g = x W_o, element-wise)
//   with phi = ELU + 1, non-causal.
// Parameters: none beyond phi.
// Choices:
//   - `normalization(#attn.normalize<identity, mala>)` computes a_ij from
//     the weights w_ij = phi(q_i) . phi(k_j) (scale 1): s = w / N with N the
//     kept keys (Nk here). The roster's closed form writes the second term
//     as gamma_i * mean(V); sum_j a_ij v_j gives z_i * mean(V) = gamma_i *
//     sum_j v_j, which is what this spec computes (the weights a_ij, whose
//     rows sum to 1) [verify against the authors' code].
//   - The output gate (x W_o in the vision block, computed by the caller)
//     is the element-wise `output_gate` [B, H, N, Dv].
//   - Not expressed: RoPE on phi(q), phi(k) in the numerator only (the
//     normalizer z_i uses the unrotated features), and LePE (a depthwise
//     5x5 convolution of V added before the gate).
func.func @mala(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>,
                %g: tensor<?x?x?x?xf32> {attn.name = "gate"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       output_gate(%g : tensor<?x?x?x?xf32>)
       feature_map(#attn.feature_map<elu_plus_one>)
       normalization(#attn.normalize<identity, mala>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
