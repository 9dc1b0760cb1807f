// Spikformer V2: spiking self-attention without softmax.
// ZOO.md: N04 `spikformer_v2`.
//
// Paper: "Spikformer V2: Join the High Accuracy Club on ImageNet with an
//   SNN Ticket", Zhou et al., 2024.
// Formula (Spiking Self-Attention, SSA, from Spikformer):
//     SSA(Q, K, V) = SN(Q K^T V * s)
//   with binary spike matrices Q, K, V (outputs of spiking neurons), no
//   softmax (the products of non-negative spikes are already non-negative),
//   and SN the spiking-neuron (threshold) layer on the result; computable as
//   Q (K^T V) since there is no nonlinearity before SN.
// Parameters: s = 0.125 (Spikformer's scaling factor) [verify for V2].
// Choices:
//   - #attn.normalize<identity> with scale(0.125), no mask: the op computes
//     s * Q K^T V exactly (integer-valued for spikes, so the check is exact).
//   - SN (a Heaviside of the membrane potential with the LIF dynamics over
//     time steps) is the neuron layer after attention: applied by the
//     caller, like the projection that follows it.
//   - Binary inputs: the random test draws q, k, v in {0, 1}.
//   - Identity normalization is linear, so the "Q (K^T V)" order is a
//     lowering choice (a linear-attention schedule, wave 2), not a spec one.
func.func @spikformer_v2(%q: tensor<?x?x?x?xf32> {attn.range = [0, 1]},
                         %k: tensor<?x?x?x?xf32> {attn.range = [0, 1]},
                         %v: tensor<?x?x?x?xf32> {attn.range = [0, 1]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v normalization(#attn.normalize<identity>)
       scale(0.125)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
