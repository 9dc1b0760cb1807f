// Neighborhood Attention Transformer (NAT): k x k neighborhoods with a
// relative position bias. ZOO.md: M09 `nat`.
//
// Paper: "Neighborhood Attention Transformer", Hassani, Walton, Li, Li and
//   Shi, CVPR 2023.
// Formula: on an H x W feature map each pixel (y, x) attends to its k x k
//   nearest neighbours; at the borders the window is shifted inward so that
//   every query sees exactly k^2 keys; a learned relative position bias
//   B_h[dy + k - 1, dx + k - 1] (a (2k-1) x (2k-1) table per head) is added
//   to the logits:
//     s_ij = q_i . k_j / sqrt(d) + B_h[y_j - y_i + k - 1, x_j - x_i + k - 1]
//   o_i = sum_j softmax_j(s_ij) v_j over the neighborhood.
// Parameters:
//   - k = 7 (NAT, all stages); scale 1/sqrt(d) (qk_scale = head_dim^-0.5).
//   - Grid width W = 14 (NAT's third stage at 224 x 224 input: a 14 x 14
//     map); the height is inferred from N. The spec is specialized to one
//     width because the relative-offset arithmetic needs it.
//   - rpb [Hq, 13, 13]: the bias table, a float operand.
// Choices and [verify] items:
//   - Window shifted, not truncated, at the borders (#attn.neighborhood's
//     definition; NAT's "every pixel attends to exactly k^2 keys").
//   - The offsets y_j - y_i, x_j - x_i lie in [-(k-1), k-1] because of the
//     shifting, hence a (2k-1)^2 table indexed by offset + k - 1. Checked
//     against NATTEN's kernels: they index rpb[pb_start(y_i) + ki] for the
//     key at window_start(y_i) + ki, with pb_start = k/2 + (k/2 - y_i if
//     y_i < k/2) + (L - y_i - 1 - k/2 if y_i + k/2 >= L); in all three cases
//     pb_start + ki = (key - y_i) + k - 1 (dilation 1).
func.func @nat(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %rpb: tensor<?x13x13xf32> {attn.dims = ["Hq", 13, 13]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%rpb : tensor<?x13x13xf32>)
       mask(#attn.neighborhood<grid = [-1, 14], kernel = [7, 7]>)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %t: tensor<?x13x13xf32>):
         %w = arith.constant 14 : index
         %off = arith.constant 6 : index
         %yi = arith.divui %i, %w : index
         %xi = arith.remui %i, %w : index
         %yj = arith.divui %j, %w : index
         %xj = arith.remui %j, %w : index
         %dy0 = arith.addi %yj, %off : index
         %dy = arith.subi %dy0, %yi : index
         %dx0 = arith.addi %xj, %off : index
         %dx = arith.subi %dx0, %xi : index
         %bias = tensor.extract %t[%h, %dy, %dx] : tensor<?x13x13xf32>
         %r = arith.addf %s, %bias : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
