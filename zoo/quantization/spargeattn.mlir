// SpargeAttn (ZOO.md Q01): sparse and quantized attention in one spec. Stage
// 1 predicts the key blocks each query block needs from mean-pooled blocks
// and keeps the shortest prefix of their ranking whose estimated attention
// mass reaches tau; the kept keys are scored by SageAttention's INT8
// Q K^T (per-block scales, K smoothing).
//
// Paper: "SpargeAttn: Accurate Sparse Attention Accelerating Any Model
//   Inference" (Zhang et al.), ICML 2025.
// Formula, per (b, h), query blocks of Bq = 128, key blocks of Bk = 64,
// aligned positions p (causal LLM form):
//     qbar_r = mean(q_i, i in query block r), kbar_c = mean(k_j, j in c)
//     Phat_r = softmax_c(qbar_r . kbar_c / sqrt(d))   over c*Bk <= p1(r)
//     S_r    = current blocks + blocks by decreasing Phat_r until their
//              cumulative mass reaches tau (TopCdf)
//     k~_j   = k_j - mean_j'(k_j')                     (K smoothing)
//     s_ij   = sq * sk * (int8(q_i) . int8(k~_j)) / sqrt(d)
//     o_i    = softmax_{j in S_r(i), j <= p_i}(s_ij) v
// Parameters: tau = 0.9 [verify: the paper tunes tau (and theta, lambda)
//   per model]; Bq = 128, Bk = 64 (the kernels' blocks, also the
//   quantization blocks).
// Choices:
//   - selection(#attn.topk_blocks<block = 64, q_block = 128, mass = 0.9>)
//     ranks the blocks by the float gates (the pooled rows are the
//     unquantized Q and K, not smoothed); k = 1000000 sets no cap.
//   - quantization(#attn.quantized_qk<scheme = int8, q_block = 128,
//     k_block = 64, smooth_k = true>): SageAttention's INT8 Q K^T; P V in
//     the spec's float type (the SageAttention-1 base; SageAttention2's
//     FP8 P V is pv = fp8_e4m3, see zoo/quantization/sageattention2.mlir).
//   - Causal (the paper's language models): the current blocks are always
//     kept and stay causal inside through mask(#attn.causal).
// Partial (not expressed):
//   - The self-similarity check: SpargeAttn computes the cosine
//     self-similarity of each query and key block and always computes the
//     blocks that are not self-similar (below theta), whose mean is not a
//     faithful summary; the selection here ranks every block by its pool.
//   - Stage 2, the online-softmax filter that skips P V of a key block when
//     its local row max is far below the running max (lambda): it depends
//     on the order the kernel visits the key tiles, so it is not a
//     semantics of the spec.
//   - The non-causal form (image and video models) is
//     spargeattn_bidirectional.mlir (causal = false: every key block
//     eligible, no mask).
//   - Lowered through the tile program only (attn-run --tile-program).
func.func @spargeattn(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                      %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       mask(#attn.causal)
       selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean,
                                   q_block = 128, mass = 0.9>)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 128,
                                       k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
