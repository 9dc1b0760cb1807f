// Based, its sliding-window attention layer. ZOO.md: Y03 `based`.
//
// Paper: "Simple linear attention language models balance the
//   recall-throughput tradeoff" (Arora et al.), ICML 2024.
// Formula:
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over i - W <= j <= i.
// Parameters: W = 64, the paper's short window [verify]; the authors' code
//   builds SlidingAttention(window_size=128) as FlashAttention's
//   window_size = (128 // 2, 0) = (64, 0), i.e. the query and the 64 keys
//   before it.
// Choices:
//   - Like Gemma 2 (Y01: gemma2.mlir and gemma2_global.mlir), Based is a
//     hybrid across layers, not within one: the authors' model configs put
//     the Taylor linear attention (zoo/linear/based_linear.mlir) and this
//     sliding-window layer at different layer indices (alt_mixer_layers,
//     alt_mixer_2_layers), with gated convolutions (BaseConv) in the other
//     layers; no layer sums the two branches. Y03's attention is these two
//     specs.
//   - #attn.window<left = 64, right = 0> with #attn.causal explicit; the
//     default softmax and scale 1/sqrt(d) (softmax_scale=None in the code).
func.func @based_window(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 64, right = 0>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
