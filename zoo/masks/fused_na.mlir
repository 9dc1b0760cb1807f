// Fused neighborhood attention: dilated 2-D neighborhoods, predicate per tile.
// ZOO.md: M10 `fused_na`.
//
// Paper: "Faster Neighborhood Attention: Reducing the O(n^2) Cost of Self
//   Attention at the Threadblock Level", Hassani, Hwu, Shi et al., 2024.
// Formula (NATTEN's definition, per axis, window k, dilation r): query and
//   key must be in the same dilation group (x mod r == y mod r); inside the
//   group (x' = x div r, group length L) the key must be in the window
//   [clamp(x' - floor(k/2), 0, L - k), +k) (shifted, not truncated, at the
//   borders, so every query sees exactly k keys per axis):
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
// Parameters: 2-D grid of width 15 (height from N), k = 7 x 7, r = 2 x 2
//   (a DiNAT-style dilated layer); scale 1/sqrt(d). [The paper benchmarks
//   1-D, 2-D and 3-D problems over a sweep of windows and dilations; this is
//   one representative 2-D configuration; 1-D and 3-D are the same
//   attribute with one or three axes.]
// Choices:
//   - The paper's contribution is the lowering: batched-GEMM (unfused) and
//     a fused kernel applying the predicate per tile. In attn-opt the
//     predicate is #attn.neighborhood and the tiled lowering skips empty
//     tiles and drops mask code from full ones from the block
//     classification (docs/zoo/M10_fused_na.png), which is the fused form.
//   - Optional per-axis causal masking is #attn.neighborhood's `causal`.
func.func @fused_na(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.neighborhood<grid = [-1, 15], kernel = [7, 7], dilation = [2, 2]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
