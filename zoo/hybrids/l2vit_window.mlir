// L2ViT, its local window attention layer. ZOO.md: Y07 `l2vit`.
//
// Paper: "The Linear Attention Resurrection in Vision Transformer"
//   (Zheng), 2025 [verify: authors and year].
// Formula: Swin-style non-overlapping windows of 7 x 7 tokens on the
//   image's token grid; softmax attention inside each window:
//     o_i = sum_{j in window(i)} softmax_j(q_i . k_j / sqrt(d)) v_j.
// Parameters: a grid 14 tokens wide (224 px / 16, stage 3 [verify]) and
//   windows of 7 x 7 [verify: the paper's window size]; tokens in
//   row-major grid order, token t at (t / 14, t % 14).
// Choices:
//   - The window partition is a mask_fn over the token indices: same window
//     row (floor(row / 7)) and window column (floor(col / 7)). Any length
//     works (rows past 14 continue the grid); the grid width is a constant
//     of the spec, one spec per stage.
//   - No shifted windows (L2ViT uses plain local windows [verify]); the
//     relative position bias of Swin, if any, would be a `bias` operand.
//   - With `l2vit_global.mlir` this is Y07's attention (alternating layers).
func.func @l2vit_window(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %width = arith.constant 14 : index
         %window = arith.constant 7 : index
         %ri = arith.divui %i, %width : index
         %ci = arith.remui %i, %width : index
         %rj = arith.divui %j, %width : index
         %cj = arith.remui %j, %width : index
         %wri = arith.divui %ri, %window : index
         %wci = arith.divui %ci, %window : index
         %wrj = arith.divui %rj, %window : index
         %wcj = arith.divui %cj, %window : index
         %same_row = arith.cmpi eq, %wri, %wrj : index
         %same_col = arith.cmpi eq, %wci, %wcj : index
         %keep = arith.andi %same_row, %same_col : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
