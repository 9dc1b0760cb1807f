// ZOO.md Q06: ZipCache (mixed-precision KV cache quantization with salient
// tokens), the key cache's part: keys quantized per token, salient tokens
// at more bits, scored against the float query.
//
// Paper: "ZipCache: Accurate and Efficient KV Cache Quantization with
//   Salient Token Identification" (He et al.), NeurIPS 2024.
// Formula, per (b, key head hk), as declared here:
//     sk_j  = absmax(k_j) / M_j,  kq_j = clamp(roundeven(k_j / sk_j), -M_j, M_j)
//             M_j = 127 (8 bits) for a salient token (m_j = 1), 7 (4 bits)
//             otherwise
//     s_ij  = sk_j * (q_i . kq_j) / sqrt(d)        (float query, exact
//                                                   products, then scales)
//     o_i   = softmax_j(s_ij) V                     (causal)
// Choices:
//   - #attn.quantized_qk<scheme = int4, keys_only = true, salient_bits = 8>
//     with k_block = 1 (one scale per token: ZipCache's token-wise
//     quantization) and the flags `k_salient` [B, Hk, Nk] (i8, 0 or 1).
//   - Channel-separable normalization: ZipCache divides each key channel
//     by c_x before the token-wise quantization and multiplies it back.
//     With a float query this is exact on the caller's side:
//     q . (c (.) kq_j) sk_j = (q (.) c) . kq_j sk_j, so the caller passes
//     the keys divided by c and the query times c (not declared here).
//   - The salient set is an operand: ZipCache picks it from normalized
//     attention scores of probe queries (a preceding attention pass and a
//     top-k over tokens); that selection is the caller's here.
//   - [verify] Bit widths: the paper stores salient tokens at 4 bits and
//     the others at 2; the narrowest declarable scheme is int4 (symmetric
//     [-7, 7]), so this spec uses 8 / 4 bits. Partial.
//   - The value cache (token-wise, mixed precision) is not declared: V is
//     float here (pv = int8 quantizes V per channel, not per token).
//   - The cache across decoding steps (kv-cache, wave 3) is the caller's:
//     this is one attention over a cache that holds Nk tokens.
//   - Lowered through the tile program only: the keys are quantized and
//     dequantized once per call (attn_tile.quantize with salient flags,
//     attn_tile.dequantize), then the float score kernels run.
func.func @zipcache(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                    %v: tensor<?x?x?x?xbf16>, %salient: tensor<?x?x?xi8>)
    -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v k_salient(%salient : tensor<?x?x?xi8>)
       mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, keys_only = true,
                                       salient_bits = 8>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
