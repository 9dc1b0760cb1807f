// Twins-SVT: global sub-sampled attention (GSA). ZOO.md: M12 `twins`
// (second layer kind; the LSA layer is twins.mlir).
//
// Paper: "Twins: Revisiting the Design of Spatial Attention in Vision
//   Transformers", Chu et al., NeurIPS 2021.
// Formula [verify: paper Section 3.2, not the abstract]: every query
//   attends to all keys of a sub-sampled map: one representative per
//   k x k window, obtained by a strided k x k convolution of the input
//   (outside the op) before the K/V projections:
//     o_i = sum_j softmax_j(q_i . k'_j / sqrt(d)) v'_j,  j over N / k^2 keys
// Parameters: sub-sampling k = 7 (so Nk = Nq / 49 for the 14 x 14 map), no
//   mask, scale 1/sqrt(d).
// Choices: the spec is plain cross-attention with Nk != Nq; the convolution
//   is a prologue of the caller, as in the paper's implementation
//   (nn.Conv2d(dim, dim, kernel_size=sr, stride=sr) before kv).
func.func @twins_gsa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
