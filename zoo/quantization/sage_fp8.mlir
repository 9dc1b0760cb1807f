// SageAttention-style FP8 Q K^T (not a roster entry: the FP8 variant of
// the quantized Q K^T that ZOO.md Q01 SpargeAttn and Q02 SageAttention2
// build on, and of FlashAttention-3's FP8 e4m3 forward pass), with the
// quantization inside the spec: bf16 in, the compiler quantizes Q and K to
// FP8 e4m3 per block of tokens, and P V in FP8 e4m3 as SageAttention2.
//
// Papers: "SageAttention2 Technical Report: Accurate 4 Bit Attention for
//   Plug-and-play Inference Acceleration" (Zhang et al., its FP8 P V);
//   "FlashAttention-3: Fast and Accurate Attention with Asynchrony and
//   Low-precision" (Shah et al.), NeurIPS 2024 (FP8 e4m3 Q, K, V with
//   block quantization).
// Formula, per (b, h), Q in blocks of 128 tokens, K in blocks of 64, with
// F = 448 (e4m3's largest finite value) and fp8() round to nearest even,
// saturating:
//     k~_j = k_j - mean_j'(k_j')                   (K smoothing, softmax
//                                                   cancels the shift)
//     sq_c = absmax(Q block c) / F,   qq = fp8(q / sq_c)
//     sk_c = absmax(K~ block c) / F,  kq = fp8(k~ / sk_c)
//     s_ij = sq * sk * (qq_i . kq_j) / sqrt(d)     (products of two FP8
//                                                   values, exact in f32)
//     o_i  = (sum_j fp8(F p_ij) fp8(v_j / sv) sv / F) / l_i  (FP8 P V, V
//                                                   per channel)
// Choices:
//   - #attn.quantized_qk<scheme = fp8_e4m3, ...>: scale = absmax / 448 in
//     f32, round to nearest even at e4m3's spacing, saturate to [-448,
//     448], subnormals kept; the last block of a sequence may be shorter.
//   - The CPU has no FP8 arithmetic: the rounding is emulated in f32 and Q
//     and K are held dequantized in f32 (one rounding per element), then
//     the f32 score kernels run; the float64 reference computes the FP8
//     math exactly, and attn-run --check compares within the P V bound.
//   - [verify] FlashAttention-3 applies a Hadamard rotation to Q and K
//     ("incoherent processing") before FP8: `rotation(%r)` declares that
//     (orthogonal operand), not used in this spec.
//   - No mask here; the declaration composes with any mask, score
//     modification and softmax (test/zoo/fp8-quant.mlir checks causal and
//     a pre-quantized e5m2 cache too).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @sage_fp8(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                    %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 128,
                                       k_block = 64, smooth_k = true,
                                       pv = fp8_e4m3>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
