// TransNormerLLM / Lightning Attention (TNL): causal linear attention with
// a per-head decay, its output normalized (SRMSNorm) and gated.
// ZOO.md: L01 `lightning_tnl`.
//
// Paper: "Various Lengths, Constant Speed: Efficient Language Modeling with
//   Lightning Attention", 2024 (TransNormerLLM, 2023, for the layer).
// Formula:
//     o_t = SRMSNorm( phi(q_t)^T sum_{s <= t} lambda_h^{t-s} phi(k_s) v_s^T ) * u_t
//   with phi = Swish (silu), no softmax and no denominator,
//   SRMSNorm(x) = x / sqrt(mean(x^2) + eps) (no learned weight), and u_t
//   the output gate (an element-wise tensor, [B, H, N, Dv]).
// Parameters: lambda_h in (0, 1], one per head; eps = 1e-6 (the
//   SimpleRMSNorm of the authors' code).
// Choices:
//   - phi = silu on q and k (the paper's Swish after the projections) by
//     feature_map; scale 1, identity normalization (no denominator).
//   - The decay is the `decay` operand with a constant per head, [1, H, 1],
//     as in lightning2.mlir.
//   - The norm is per head, over Dv (`epilogue(#attn.epilogue<rms_norm>)`):
//     the authors' code normalizes the concatenated heads (H * Dv) [verify],
//     which equals this for one head; a per-head norm is what RetNet and
//     GLA use and what one work item (one head) computes.
//   - The gate u (in the paper sigma(x W_u)-style, computed by the caller)
//     multiplies after the norm: `output_gate` of rank 4.
//   - Lowered through the tile program (attn-run --tile-program): the
//     chunked O(N) form, the norm and gate in each chunk's finalization.
func.func @lightning_tnl(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>,
                         %lambda: tensor<1x?x1xf32> {attn.name = "lambda"},
                         %u: tensor<?x?x?x?xf32> {attn.name = "gate"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       output_gate(%u : tensor<?x?x?x?xf32>)
       decay(%lambda : tensor<1x?x1xf32>)
       feature_map(#attn.feature_map<silu>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
