// A pre-quantized FP8 key cache (not a roster entry: the FP8 form of the
// key caches of ZOO.md Q06 ZipCache and Q07 OSCAR, as FP8 KV caches are
// served): an f8E5M2 key cache with one scale per token, scored against
// the float query (keys_only), causal.
//
// Formula, per (b, key head hk), with kq the cache's FP8 values (given)
// and sk_j its per-token scales (given):
//     s_ij = sk_j * (q_i . kq_j) / sqrt(d)     (float query, products of
//                                               f32 and FP8 values)
//     o_i  = softmax_j(s_ij) V                  (causal)
// Choices:
//   - #attn.quantized_qk<scheme = fp8_e5m2, keys_only = true>, k_block = 1:
//     the key is an f8E5M2 tensor with its k_scale [B, Hk, Nk] (the
//     caller quantized it: any finite e5m2 value; NaN or infinity are
//     refused by attn-run and the reference).
//   - attn-run reads the cache from a uint8 .npy of its bit patterns
//     (NumPy has no FP8 type) and --random draws N(0, (F/4)^2) values
//     rounded to e5m2 with scales about 4 / F.
//   - The value cache is float here (FP8 V operands are not declared).
//   - Lowered through the tile program only: the keys are decoded from
//     their bits and dequantized once per call (attn_tile.dequantize),
//     then the f32 score kernels run.
func.func @fp8_kv_cache(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf8E5M2>,
                        %v: tensor<?x?x?x?xf32>, %k_scale: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_scale(%k_scale : tensor<?x?x?xf32>)
       mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = fp8_e5m2, keys_only = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf8E5M2>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
