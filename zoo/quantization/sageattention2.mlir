// ZOO.md Q02: SageAttention2 (INT4 Q K^T with Q and K smoothing, FP8 P V),
// quantization inside the spec: bf16 in, the compiler quantizes.
//
// Paper: "SageAttention2: Efficient Attention with Thorough Outlier
//   Smoothing and Per-thread INT4 Quantization" (Zhang et al.), ICML 2025.
// Formula, per (b, h):
//     k~_j  = k_j - mean_j'(k_j')                 (K smoothing, softmax-
//                                                  invariant)
//     qm_c  = mean of Q over query block c,  q~_i = q_i - qm_c(i)
//                                                 (Q smoothing)
//     sq_c  = absmax(Q~ block c) / 7,  qq = round(q~ / sq_c)    (int4)
//     sk_c  = absmax(K~ block c) / 7,  kq = round(k~ / sk_c)    (int4)
//     s_ij  = (sq * sk * (qq_i . kq_j) + qm_c(i) . k~_j) / sqrt(d)
//                                                 (exact integer dot, plus
//                                                  the float correction
//                                                  dS = qm K~^T)
//     p_ij  = exp(s_ij - m_i),  l_i = sum_j p_ij
//     sv_c  = absmax(V[:, c]) / 448,  vq = fp8_e4m3(v / sv)
//     o_i   = sum_j fp8_e4m3(448 p_ij) vq_j sv / 448 / l_i
//                                                 (FP8 P~ V, f32 accumulate)
// Parameters: q_block = 32, k_block = 64, pv = fp8_e4m3.
// Choices:
//   - #attn.quantized_qk<scheme = int4, ...>: scale = absmax / 7 in f32,
//     round to nearest even, saturate to [-7, 7]; the integer dot product is
//     exact in i32. On the CPU the int4 values are held one per i8 lane and
//     go through the INT8 dot product (VNNI or emulated).
//   - [verify] Granularity: the paper quantizes Q and K "per thread"
//     (groups of tokens strided to match the mma.m16n8k64 register layout,
//     within a per-warp / per-block tile); contiguous blocks are the
//     declarable form here: q_block = 32 (a warp's query rows in a
//     128-row block), k_block = 64. Finer than per block, coarser than the
//     paper's per-thread groups.
//   - smooth_q: the block mean (f64 sum, f32 mean) subtracted before
//     quantizing; the correction qm . k~ is added back exactly in float
//     (f32 in compiled code), so the scores are those of the unsmoothed
//     query up to the residual's quantization. [verify] The paper computes
//     dS = qm K^T as a GEMV ahead of the kernel; here it is a float score
//     tile per key tile (same values, more work).
//   - smooth_k: the K mean over all tokens of the head, as in the paper.
//   - pv = fp8_e4m3: P~ = exp(s - m) scaled by 448 into the e4m3 range
//     (the paper's static scale), V per channel to +-448, round to nearest
//     even, saturating; FP8 emulated exactly in f32 arithmetic on the CPU
//     (no FP8 type or instruction). The compiled kernel rounds each key
//     tile with its running max (as the GPU kernel does); the float64
//     reference uses the final max; the difference is bounded (see
//     #attn.quantized_qk). [verify] The paper's two-level FP32 accumulation
//     (around the FP22 accumulator of Hopper/Ada FP8 mma) is moot here:
//     the CPU accumulates in f32.
//   - No mask here; the declaration composes with any mask and score
//     modification (QuantizedNumericsTest checks causal variants).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @sageattention2(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                          %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = int4, q_block = 32,
                                       k_block = 64, smooth_k = true,
                                       smooth_q = true, pv = fp8_e4m3>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
