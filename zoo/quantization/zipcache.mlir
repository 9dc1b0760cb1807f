// ZOO.md Q06: ZipCache (mixed-precision KV cache quantization with salient
// tokens): keys quantized per token, salient tokens at more bits, scored
// against the float query; the value cache as a pre-quantized V, codes per
// token with their scales.
//
// Paper: "ZipCache: Accurate and Efficient KV Cache Quantization with
//   Salient Token Identification" (He et al.), NeurIPS 2024.
// Formula, per (b, key head hk), as declared here:
//     sk_j  = absmax(k_j) / M_j,  kq_j = clamp(roundeven(k_j / sk_j), -M_j, M_j)
//             M_j = 127 (8 bits) for a salient token (m_j = 1), 7 (4 bits)
//             otherwise
//     s_ij  = sk_j * (q_i . kq_j) / sqrt(d)        (float query, exact
//                                                   products, then scales)
//     v_j   = vq_j * sv_j                           (the value cache:
//                                                   integer codes, one
//                                                   scale per token)
//     o_i   = softmax_j(s_ij) . v                   (causal)
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
//   - The value cache (token-wise, mixed precision): a pre-quantized i8 V
//     with `v_scale` [B, Hk, Nk] (#attn.quantized_v<scheme = int8, per =
//     token>). A salient token's codes span [-127, 127] (8 bits), the
//     others' [-7, 7] (4 bits): the i8 cache holds either exactly with its
//     token's scale, so the precision per token is the caller's (how it
//     quantized the cache), not a declaration. Compiled code dequantizes V
//     once per call (attn_tile.dequantize, f32(vq) * sv).
//   - The cache across decoding steps (kv-cache, wave 3) is the caller's:
//     this is one attention over a cache that holds Nk tokens.
//   - Lowered through the tile program only: the keys are quantized and
//     dequantized once per call (attn_tile.quantize with salient flags,
//     attn_tile.dequantize), then the float score kernels run.
func.func @zipcache(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                    %v: tensor<?x?x?x?xi8>, %salient: tensor<?x?x?xi8>,
                    %v_scale: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v v_scale(%v_scale : tensor<?x?x?xf32>)
       k_salient(%salient : tensor<?x?x?xi8>)
       mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, keys_only = true,
                                       salient_bits = 8>)
       value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xi8>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
