// Twins-SVT: locally-grouped self-attention (LSA), non-overlapping windows.
// ZOO.md: M12 `twins` (LSA layer; the GSA layer is twins_gsa.mlir).
//
// Paper: "Twins: Revisiting the Design of Spatial Attention in Vision
//   Transformers", Chu et al., NeurIPS 2021.
// Formula (Twins-SVT, [verify: the abstract only says "carefully devised
//   spatial attention"; this is the paper's Section 3.2]): the H x W map is
//   split into k x k windows and attention is computed inside each window:
//     keep(i, j) = floor(y_i / k) == floor(y_j / k) and floor(x_i / k) == floor(x_j / k)
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
//   Twins-SVT alternates LSA with global sub-sampled attention (GSA:
//   zoo/masks/twins_gsa.mlir).
// Parameters: window k = 7 (Twins-SVT), grid width 14 (the 14 x 14 map of
//   the third stage at 224 x 224 input; height inferred from N);
//   scale 1/sqrt(d).
// Choices:
//   - Window partition = #attn.neighborhood with stride = kernel (GNA's
//     blocked attention): the window of every stride group is exactly its
//     own k x k tile when the grid is divisible by k, as in the paper.
//   - Twins-PCPVT (PVT spatial-reduction attention with conditional
//     position encodings) is the GSA form with the conv/PEG outside the op.
func.func @twins_lsa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.neighborhood<grid = [-1, 14], kernel = [7, 7], stride = [7, 7]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
