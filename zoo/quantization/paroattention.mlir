// ZOO.md Q05: PAROAttention (pattern-aware reordering, then a static
// block-sparse mask per head and quantized attention), the attention of
// the reordered tokens.
//
// Paper: "PAROAttention: Pattern-Aware ReOrdering for Efficient Sparse and
//   Quantized Attention in Visual Generation Models".
// Formula, per (b, h), on tokens already reordered by the head's
// permutation pi_h (q' = q[pi_h], k' = k[pi_h], v' = v[pi_h]):
//     keep(i, j) = layout[h, i / 64, j / 64] != 0      (static, offline)
//     k~_j  = k'_j - mean_j'(k'_j')                    (K smoothing)
//     s_ij  = sq_c(i) * sk_c(j) * (qq_i . kq_j) / sqrt(d)
//             (INT8 per block of 64 queries / keys, exact integer dot)
//     o'_i  = sum_j u_ij vq_j sv / 255 / l_i,  u = roundeven(255 p),
//             vq = V per channel at absmax / 127       (INT8 P V)
//     o     = o'[pi_h^-1]                              (the caller's)
// Choices:
//   - The static mask: #attn.block_sparse<block_q = 64, block_kv = 64>
//     with a `block_layout` operand [1, Hq, ceil(Nq / 64), ceil(Nk / 64)]
//     (one layout per head, calibrated offline; [verify] the paper's block
//     size and density of about 20-30%).
//   - The reordering is exact on the caller's side: attention is
//     equivariant under a permutation applied to the query rows and, with
//     the mask written in the permuted order, to the key/value rows; the
//     caller permutes Q, K, V per head before the op and the output after
//     it. [verify] The paper's permutation is one of the 6 orders of the
//     [F, H, W] token axes per head; any permutation is allowed here. Not
//     declared in the op (a permutation operand): partial.
//   - Quantization: #attn.quantized_qk<scheme = int8, q_block = 64,
//     k_block = 64, smooth_k = true, pv = int8> (SageAttention's INT8 Q K^T
//     and INT8 P V, which the paper builds on [verify]); the paper also
//     reports INT4 (scheme = int4 declares it, same blocks).
//   - Non-causal (visual generation).
//   - Lowered through the tile program only.
func.func @paroattention(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                         %v: tensor<?x?x?x?xbf16>,
                         %layout: tensor<1x?x?x?xi8>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v block_layout(%layout : tensor<1x?x?x?xi8>)
       mask(#attn.block_sparse<block_q = 64, block_kv = 64>)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 64,
                                       k_block = 64, smooth_k = true,
                                       pv = int8>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
