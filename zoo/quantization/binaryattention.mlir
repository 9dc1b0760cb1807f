// BinaryAttention (ZOO.md Q03): one-bit Q K^T, only the signs of Q and K
// are kept, with a learnable bias that compensates the lost magnitudes.
//
// Paper: "BinaryAttention: One-Bit QK-Attention for Vision and Diffusion
//   Transformers", 2025.
// Formula, per (b, h, i, j):
//     qb = sign(q_i), kb = sign(k_j)               (+1 / -1 per channel)
//     qb . kb = d - 2 * popcount(bits(q_i) xor bits(k_j))
//     s_ij = alpha_h * (qb . kb) / sqrt(d) + bias[h, i, j]
//     o_i  = softmax_j(s_ij) v
// Parameters: alpha (a per-head scale, the q_scale operand [1, Hq, 1]) and
//   the learnable bias (the bias operand [1, Hq, Nq, Nk], broadcast over
//   the batch); both are trained (QAT with self-distillation) and are
//   inputs here.
// Choices:
//   - #attn.quantized_qk<scheme = sign>: sign(x) = x < 0 ? -1 : +1, so 0
//     (and NaN) map to +1; the integer dot product of the +-1 rows equals
//     the xor-popcount form, and the lowering may use either.
//   - The per-head scale is q_scale (k_scale is omitted: 1); the default
//     scale 1/sqrt(d) stays, so alpha is relative to it.
//   - P V in the input's float type (the paper does not state its
//     precision [verify]).
//   - Non-causal (vision and diffusion transformers).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @binaryattention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                           %v: tensor<?x?x?x?xf32>,
                           %alpha: tensor<1x?x1xf32>,
                           %bias: tensor<1x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v bias(%bias : tensor<1x?x?x?xf32>)
       q_scale(%alpha : tensor<1x?x1xf32>)
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
