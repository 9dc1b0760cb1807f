// Multi-head latent attention (DeepSeek-V3), absorbed (MQA-shaped) form.
// ZOO.md: H15 `mla`.
//
// Paper: "Insights into DeepSeek-V3: Scaling Challenges and Reflections on
//   Hardware for AI Architectures", DeepSeek-AI, 2025 (MLA as defined in
//   DeepSeek-V2/V3).
// Formula [verify, all; from the DeepSeek-V2/V3 reports]: a latent
//   c_j = W^DKV h_j (d_c = 512) is cached with one decoupled RoPE key
//   k^R_j (d_R = 64) shared by all heads; per head k^C = W^UK c,
//   v = W^UV c, and the score is q^C_h . k^C_j + q^R_h . k^R_j scaled by
//   1/sqrt(d_h + d_R) = 1/sqrt(128 + 64). Absorbing W^UK into the query
//   (q'_h = [W^UK^T q^C_h ; q^R_h], 576 wide) and W^UV into the output
//   projection makes decode attend directly over the cached latent:
//     s_hj = q'_h . [c_j ; k^R_j] / sqrt(192),  o_h = sum_j softmax_j(s_hj) c_j
//   i.e. MQA with one 576-wide key head and a 512-wide value head (the
//   value is the first 512 channels of the key row).
// Parameters: 128 heads, d_c = 512, d_R = 64, d_h = 128 (DeepSeek-V3):
//   q [B, 128, Nq, 576], k [B, 1, Nk, 576], v [B, 1, Nk, 512] (the caller
//   passes v = k[..., :512], the same buffer); scale(1/sqrt(192)) =
//   0.07216878364870322; causal (decode: Nq = 1 sees the whole cache).
// Choices: the spec is shape-generic (the test uses few heads); the latent
//   KV cache itself is wave 3. d_qk = 576 != d_v = 512 is plain op shapes.
func.func @mla_absorbed(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x1x?x?xbf16>,
                        %v: tensor<?x1x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       scale(0.07216878364870322)
       : tensor<?x?x?x?xbf16>, tensor<?x1x?x?xbf16>, tensor<?x1x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
