// Lightning Attention-2: tiled causal linear attention with a decay.
// ZOO.md: L02 `lightning2`.
//
// Paper: "Lightning Attention-2: A Free Lunch for Handling Unlimited
//   Sequence Lengths in Large Language Models", 2024.
// Formula (TransNormerLLM form, no softmax and no denominator):
//     o_t = q_t^T sum_{s <= t} lambda_h^{t-s} k_s v_s^T
//   i.e. weights w_ts = lambda_h^{t-s} (q_t . k_s) over the causal keys.
// Parameters: lambda_h in (0, 1], one per head (TransNormerLLM:
//   lambda_h = exp(-8 h / H) style schedules [verify]).
// Choices:
//   - q and k arrive already mapped (the paper applies its feature map in
//     the projection); scale 1, identity normalization.
//   - The decay is the `decay` operand with a constant per head: shape
//     [1, H, 1] broadcast over batch and positions, so the product of the
//     decays of keys s+1..t is lambda_h^(t-s).
//   - Lowered through the tile program (attn-run --tile-program).
func.func @lightning2(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                      %v: tensor<?x?x?x?xf32>,
                      %lambda: tensor<1x?x1xf32> {attn.name = "lambda"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       decay(%lambda : tensor<1x?x1xf32>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
