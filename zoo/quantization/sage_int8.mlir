// SageAttention-style INT8 Q K^T (not a roster entry: the INT8 Q/K part
// that ZOO.md Q01 SpargeAttn and Q02 SageAttention2 build on), with the
// quantization inside the spec: bf16 in, the compiler quantizes.
//
// Paper: "SageAttention: Accurate 8-Bit Attention for Plug-and-play
//   Inference Acceleration" (Zhang et al.), ICLR 2025.
// Formula, per (b, h), Q in blocks of 128 tokens, K in blocks of 64:
//     k~_j = k_j - mean_j'(k_j')                   (K smoothing: subtracts
//                                                   q_i . mean from row i,
//                                                   which softmax cancels)
//     sq_c = absmax(Q block c) / 127,  qq = round(q / sq_c)   (int8)
//     sk_c = absmax(K~ block c) / 127, kq = round(k~ / sk_c)  (int8)
//     s_ij = sq * sk * (qq_i . kq_j) / sqrt(d)     (integer dot product)
//     o_i  = softmax_j(s_ij) v                     (P V in the input type)
// Parameters: q_block = 128, k_block = 64 (SageAttention's per-block
//   granularity; the paper also has per-token and per-thread variants).
// Choices:
//   - #attn.quantized_qk<scheme = int8, ...>: scale = absmax / 127 in f32,
//     round to nearest even, saturate to [-127, 127] (symmetric), integer
//     dot product exact in i32 (D <= 133144); the last block of a sequence
//     may be shorter.
//   - smooth_k: the K mean over all tokens of the head (f64 sum, f32 mean),
//     as in the paper's km = k.mean(dim=seq); softmax only.
//   - P V stays in the spec's float type (the paper uses fp16 P V with an
//     fp32 accumulator; INT8/FP8 P V is not part of this slice).
//   - No mask here; the declaration composes with any mask, score
//     modification and normalization (QuantizedNumericsTest checks causal,
//     sliding-window and softcapped variants).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @sage_int8(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                     %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       quantization(#attn.quantized_qk<scheme = int8, q_block = 128,
                                       k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
