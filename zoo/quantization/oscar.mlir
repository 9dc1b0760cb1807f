// ZOO.md Q07: OSCAR (offline covariance-aware rotation for 2-bit KV cache
// quantization): a pre-quantized key cache, rotated offline, against the
// float query rotated in the spec, and a pre-quantized value cache.
//
// Paper: "OSCAR: Offline Spectral Covariance-Aware Rotation for 2-bit KV
//   Cache Quantization".
// Formula, per (b, key head hk), as declared here:
//     q'_i  = q_i R_hk                              (rotation of the query)
//     k_j   = (kq_j) * sk_j                         (the cache: integers
//                                                   kq = q2 - z, one scale
//                                                   per token)
//     s_ij  = sk_j * (q'_i . kq_j) / sqrt(d)
//     v_j   = (vq_j) * sv_j                         (the value cache:
//                                                   vq = q2 - z, one scale
//                                                   per token)
//     o_i   = softmax_j(s_ij) . v                   (causal)
// Since R is orthogonal, q R . k R = q . k: the cache holds k R quantized
// offline, and only the query is rotated at run time.
// Choices:
//   - #attn.quantized_qk<scheme = int4, keys_only = true> with an i4 key
//     (passed packed two per byte), `k_scale` [B, Hk, Nk] (one scale per
//     token) and `rotation` [Hk, D, D] (applied to the query only, since
//     the key is pre-quantized).
//   - INT2 with integer zero points: a 2-bit code q2 in [0, 3] with zero
//     point z in [0, 3] dequantizes to (q2 - z) s, and q2 - z lies in
//     [-3, 3], so the i4 cache holds it exactly (the same scores); the
//     cache then takes 4 bits per value, not 2. [verify] OSCAR's zero
//     points may be non-integer (min / s): not declared. Packed INT2
//     operands (four per byte) are not declared. Partial.
//   - [verify] OSCAR's key groups run over channels: a per-channel factor
//     is exact on the caller's side (folded into the query), a per
//     (channel group, token block) scale is not declared.
//   - Clipping thresholds are offline: they fix the cache's scales and
//     zero points, not the attention, so they do not appear here.
//   - The value cache: INT2 codes with integer zero points, q2 - z in
//     [-3, 3], held exactly in a pre-quantized i8 V with `v_scale`
//     [B, Hk, Nk] (#attn.quantized_v<scheme = int8, per = token>; 8 bits
//     per value, not 2). The values are rotated offline (v R_v); the
//     inverse rotation of the output is exact on the caller's side
//     (o R_v^T after the attention: the weights are linear in V).
//     [verify] OSCAR's value groups (per token here; per channel is
//     declarable with per = channel).
//   - The paged cache (kv-cache, wave 3) is the caller's.
//   - Lowered through the tile program only: the query is rotated once per
//     call (attn_tile.rotate), the keys unpacked and dequantized once
//     (attn_tile.unpack_int4, attn_tile.dequantize), the values dequantized
//     once (attn_tile.dequantize), then the float kernels run.
func.func @oscar(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xi4>,
                 %v: tensor<?x?x?x?xi8>, %k_scale: tensor<?x?x?xf32>,
                 %rotation: tensor<?x?x?xf32>, %v_scale: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_scale(%k_scale : tensor<?x?x?xf32>)
       v_scale(%v_scale : tensor<?x?x?xf32>)
       rotation(%rotation : tensor<?x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, keys_only = true>)
       value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xi4>, tensor<?x?x?x?xi8>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
