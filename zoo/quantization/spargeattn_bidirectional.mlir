// SpargeAttn (ZOO.md Q01), the non-causal form of image and video models:
// `spargeattn.mlir`'s stage 1 and quantization with every key block
// eligible and no mask.
//
// Paper: "SpargeAttn: Accurate Sparse Attention Accelerating Any Model
//   Inference" (Zhang et al.), ICML 2025.
// Formula, per (b, h), query blocks of Bq = 128, key blocks of Bk = 64:
//     qbar_r = mean(q_i, i in query block r), kbar_c = mean(k_j, j in c)
//     Phat_r = softmax_c(qbar_r . kbar_c / sqrt(d))   over every block c
//     S_r    = blocks by decreasing Phat_r until their cumulative mass
//              reaches tau (TopCdf)
//     k~_j   = k_j - mean_j'(k_j')                     (K smoothing)
//     s_ij   = sq * sk * (int8(q_i) . int8(k~_j)) / sqrt(d)
//     o_i    = softmax_{j in S_r(i)}(s_ij) v
// Parameters: as spargeattn.mlir (tau = 0.9 [verify: tuned per model],
//   Bq = 128, Bk = 64).
// Choices:
//   - selection(#attn.topk_blocks<..., causal = false,
//     keep_current = false>): every key block is ranked, none is forced
//     (the diagonal has no special role without causality [verify]); the
//     first block of the ranking always passes the cumulative rule (its
//     prefix is 0), so a query block never selects nothing.
//   - quantization as spargeattn.mlir.
// Partial (not expressed), as spargeattn.mlir: the self-similarity check
//   (theta), stage 2's lambda filter. Lowered through the tile program only.
func.func @spargeattn_bidirectional(%q: tensor<?x?x?x?xbf16>,
                                    %k: tensor<?x?x?x?xbf16>,
                                    %v: tensor<?x?x?x?xbf16>)
    -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v
       selection(#attn.topk_blocks<block = 64, k = 1000000, pool = mean,
                                   q_block = 128, mass = 0.9,
                                   keep_current = false, causal = false>)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 128,
                                       k_block = 64, smooth_k = true>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
         -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
