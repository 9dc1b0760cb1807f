// Flux Attention (ZOO.md Y05): one layer routed, per input, to full or to
// sparse attention by a trained layer router.
//
// Paper: "Flux Attention: Context-Aware Hybrid Attention for Efficient LLMs
//   Inference", Qiu, Hong, Yang, Wang, Liu, Dang, Li and Zhang, 2026
//   (arXiv 2604.07394).
// Formula, per sequence b of the batch and this layer, with the router's
// decision r_b in {0, 1} (1: full attention):
//     o[b] = r_b * FA(q[b], k[b], v[b]) + (1 - r_b) * SA(q[b], k[b], v[b])
//   FA: causal softmax attention over every earlier key;
//   SA: the sparse layers' attention. The abstract names only "sparse
//     attention" with contiguous memory access and no head-level dynamic
//     sparsity; this spec takes the streaming pattern (the first 4 tokens
//     as sinks plus a window of the 256 most recent keys, causal), the
//     static per-layer pattern with contiguous access [verify: the paper's
//     SA pattern and its sizes].
// Parameters: sinks S = 4, window R = 256 [verify]; scale 1/sqrt(d).
// Choices:
//   - The route is the caller's: the router (a small trained network on the
//     layer's input, trained with the LLM frozen) is not an attention
//     computation. Its decision enters as two row gates of attn.gated_sum,
//     g_full = r and g_sparse = 1 - r, shaped [B, 1, 1] (one route per
//     sequence for the whole layer: every head and query of a sequence
//     takes the same path, as the paper's layer-level routing does).
//     Gates are any floats here: 0/1 gates are the paper's hard route, a
//     fractional gate a soft (training-time) mix [verify: how the router is
//     relaxed in training].
//   - Partial: both branches are computed for every sequence and the gate
//     zeroes one, so the cost is FA + SA rather than the routed one. The
//     saving needs a route that skips a branch (the caller dispatching to
//     zoo/basics/causal.mlir or to the sparse spec per layer does that today;
//     a gated_sum that skips the work of a zero-gated branch is not
//     declared).
//   - Prefill and decode are the same spec (Nq = 1 for a decode step; the
//     mask aligns the query to the last key).
//   - Lowered through the tile program (each branch its own) or the untiled
//     loops (neither branch has a selection); no GPU lowering of a
//     multi-branch spec yet.
func.func @flux_attention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                          %v: tensor<?x?x?x?xf32>,
                          %g_full: tensor<?x1x1xf32> {attn.name = "g_full"},
                          %g_sparse: tensor<?x1x1xf32> {attn.name = "g_sparse"})
    -> tensor<?x?x?x?xf32> {
  %ofull = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %osparse = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal,
                       #attn.or<[#attn.sinks<4>,
                                 #attn.window<left = 255, right = 0>]>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  %o = attn.gated_sum %ofull, %osparse
       gates(%g_full, %g_sparse : tensor<?x1x1xf32>, tensor<?x1x1xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
