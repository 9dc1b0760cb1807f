// ZOO.md Q07: OSCAR (offline covariance-aware rotation for 2-bit KV cache
// quantization), the key cache's part: a pre-quantized key cache, rotated
// offline, against the float query rotated in the spec.
//
// Paper: "OSCAR: Offline Spectral Covariance-Aware Rotation for 2-bit KV
//   Cache Quantization".
// Formula, per (b, key head hk), as declared here:
//     q'_i  = q_i R_hk                              (rotation of the query)
//     k_j   = (kq_j) * sk_j                         (the cache: integers
//                                                   kq = q2 - z, one scale
//                                                   per token)
//     s_ij  = sk_j * (q'_i . kq_j) / sqrt(d)
//     o_i   = softmax_j(s_ij) V                     (causal)
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
//   - The value cache (INT2, rotated, the output rotated back by R^T) is
//     not declared: V is float here. The inverse rotation of the output is
//     exact on the caller's side (o R_v^T after the attention).
//   - The paged cache (kv-cache, wave 3) is the caller's.
//   - Lowered through the tile program only: the query is rotated once per
//     call (attn_tile.rotate), the keys unpacked and dequantized once
//     (attn_tile.unpack_int4, attn_tile.dequantize), then the float score
//     kernels run.
func.func @oscar(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xi4>,
                 %v: tensor<?x?x?x?xf32>, %k_scale: tensor<?x?x?xf32>,
                 %rotation: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_scale(%k_scale : tensor<?x?x?xf32>)
       rotation(%rotation : tensor<?x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, keys_only = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xi4>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
