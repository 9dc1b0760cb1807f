// STAtten: spiking spatial-temporal attention within blocks of time steps.
// ZOO.md: M07 `statten`.
//
// Paper: "Spiking Transformer with Spatial-Temporal Attention", Lee et al.,
//   2024 (STAtten).
// Formula: Q, K, V are binary spike tensors; tokens of T time steps and N_s
//   spatial positions are laid out time-major (token = t * N_s + n); the
//   time axis is cut into blocks of T_c consecutive steps and attention is
//   computed over all spatial-temporal tokens of one block, with no softmax:
//     keep(i, j) = floor(i / (T_c * N_s)) == floor(j / (T_c * N_s))
//     o_i = s * sum_j (q_i . k_j) v_j over the kept keys
//   (the spiking neuron after the product is the caller's, as in Spikformer).
// Parameters:
//   - N_s = 64 spatial tokens (CIFAR: 32x32 image, 4x4 patches -> 8x8) and
//     T_c = 2 time steps per block: block of 128 tokens [verify: the paper's
//     block size; T = 4 time steps in its CIFAR experiments].
//   - s = 0.125 (Spikformer's SSA scale, kept by STAtten) [verify].
// Choices:
//   - Binary inputs: the random test draws q, k, v in {0, 1} (attn.range
//     on float arguments).
//   - Identity normalization (#attn.normalize<identity>) with scale(0.125).
//   - #attn.chunked<128> is bottom-right aligned; spiking transformers use
//     Nq = Nk.
func.func @statten(%q: tensor<?x?x?x?xf32> {attn.range = [0, 1]},
                   %k: tensor<?x?x?x?xf32> {attn.range = [0, 1]},
                   %v: tensor<?x?x?x?xf32> {attn.range = [0, 1]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.chunked<128>)
       normalization(#attn.normalize<identity>) scale(0.125)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
