// ZOO.md Q04: BiPFT (binarized attention with a low-rank estimate of the
// binarization residual), inference form of the attention scores.
//
// Paper: "BiPFT: Binary Pre-trained Foundation Transformer with Low-rank
//   Estimation of Binarization Residual Polynomials".
// Formula, per (b, h), as declared here:
//     qq = sign(q), kq = sign(k)                  (1 bit; sign(0) = +1)
//     s_ij = (alpha_h * (qq_i . kq_j) + (q_i U_h) . (k_j W_h)) / sqrt(d)
//            (the binary dot product D - 2 popcount(qq xor kq), a scale
//             per head, and the rank-R estimate of the residual
//             q.k - alpha qq.kq as a factored score term)
//     o_i  = softmax_j(s_ij) V                    (non-causal)
// Choices:
//   - #attn.quantized_qk<scheme = sign> with `q_scale` [1, Hq, 1] (alpha,
//     per head) and `low_rank(%u, %w)`: U [Hq, D, R], W [Hk, D, R] learned
//     (R is the estimator rank; the runner draws R = 4 when it is dynamic).
//     The projections q U and k W are computed once per call in f32 (f64
//     products summed in channel order, rounded once), their dot product per
//     key tile in f32 (f64 in the reference); an [B, H, N, N] bias operand
//     would give the same scores at O(N^2) memory.
//   - [verify] The paper derives the residual as polynomials of the
//     binarization error and estimates them with low-rank maps; whether
//     the estimator reads the float q and k (as here) or their
//     binarization residuals (q - alpha sign(q): not declared), and
//     whether it is per head, is per the paper body. Partial.
//   - [verify] Which of P and V are binarized: P V is in the input's float
//     type here. Training (the low-rank estimators are learned) is out of
//     scope.
//   - Lowered through the tile program only.
func.func @bipft(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>, %alpha: tensor<1x?x1xf32>,
                 %u: tensor<?x?x?xf32>, %w: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%alpha : tensor<1x?x1xf32>)
       low_rank(%u, %w : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       quantization(#attn.quantized_qk<scheme = sign>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
