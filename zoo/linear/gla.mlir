// GLA: gated linear attention, a data-dependent gate per key channel (the
// diagonal decay S_t = diag(a_t) S_{t-1} + k_t v_t^T).
// Not a ZOO.md roster entry: the base form of L08 Gated Slot Attention
// (`gated_slot.mlir`, whose readout pass is this recurrence over slots).
//
// Paper: "Gated Linear Attention Transformers with Hardware-Efficient
//   Training" (Yang et al.), 2023.
// Formula:
//     S_t = (a_t 1^T) * S_{t-1} + k_t^T v_t,   o_t = q_t S_t,
//     i.e. o_t = sum_{j <= t} sum_c q_tc k_jc (prod_{r=j+1..t} a_rc) v_j,
//     a_t = sigmoid(x_t W_a1 W_a2 + b)^(1/16) (computed by the caller),
//     out_t = RMSNorm(o_t) * swish(x_t W_r).
// Choices:
//   - The gate is the rank-4 `decay` operand [B, H, N, D] (one per token,
//     head and key channel), no feature map, identity normalization.
//   - Scale 1/sqrt(D) (the default; the reference implementation scales q
//     by D^-1/2) [verify].
//   - The output's RMSNorm is `epilogue(#attn.epilogue<rms_norm>)` with
//     eps 1e-5 [verify]; its weight and the swish gate are one element-wise
//     `output_gate` [B, H, N, Dv] that the caller forms (w_c * swish(g)).
//   - Causal: the chunked O(N) form of the tile program, whose intra-chunk
//     scores take each channel's gate inside the dot product
//     (`attn_tile.gated_scores`, every exponent <= 0).
func.func @gla(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %g: tensor<?x?x?x?xf32> {attn.name = "gate"},
               %a: tensor<?x?x?x?xf32> {attn.name = "alpha"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       output_gate(%g : tensor<?x?x?x?xf32>)
       decay(%a : tensor<?x?x?x?xf32>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity>)
       epilogue(#attn.epilogue<rms_norm, eps = 1.0e-05>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
