// FlashBias: attention with a low-rank bias folded into the dot product.
// ZOO.md: S01 `flashbias`.
//
// Paper: "FlashBias: Fast Computation of Attention with Bias", Wu et al.,
//   2025.
// Formula: softmax(Q K^T / sqrt(d) + B) V with a bias of rank R,
//   B ~= U W^T (U: [N, R] query factors, W: [M, R] key factors; exact for
//   many widely used biases, e.g. ALiBi-like linear distance c(i - j) has
//   rank 2: c(i - j) = [c*i, -c] . [1, j]; learned or SVD-compressed
//   factors otherwise).
//   The bias is folded into one dot product of width d + R:
//     s_ij = [q_i / sqrt(d), u_i] . [k_j, w_j] = q_i . k_j / sqrt(d) + u_i . w_j
//   o_i = sum_j softmax_j(s_ij) v_j.
// Parameters: R (rank of the factors), chosen per bias by the paper (low-rank
//   compressed sensing); the spec is independent of R: the caller passes
//   q' = [q / sqrt(d), u] and k' = [k, w] of width D = d + R, hence
//   scale(1.0). No mask (the paper's biases are full, e.g. AlphaFold's pair
//   bias); a causal model adds mask(#attn.causal).
// Choices:
//   - Exact for a bias that is exactly U W^T; for a general dense bias the
//     dialect's bias(%b : tensor<B|1 x Hq|1 x Nq x Nk>) operand is the exact
//     (O(N^2)-memory) form, and FlashBias's SVD/neural factors are an
//     approximation the caller chooses.
//   - The concatenation [q / sqrt(d), u] is the caller's (a prologue of the
//     op, as in the paper's implementation, which concatenates before
//     calling FlashAttention); the bias gradient (training) is out of scope.
func.func @flashbias(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
