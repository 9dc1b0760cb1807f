// Generalized Neighborhood Attention (GNA): strided sliding windows on a grid.
// ZOO.md: M08 `gna`.
//
// Paper: "Generalized Neighborhood Attention: Multi-dimensional Sparse
//   Attention at the Speed of Light", Hassani et al., 2025.
// Formula (NATTEN's definition, per axis, window k, stride s, dilation r):
//   queries are grouped into stride groups of s consecutive coordinates;
//   all queries of a group use the window of the group's leader
//     l = min(floor(x / s) * s + floor(s / 2), L - 1)
//   which is [clamp(l - floor(k / 2), 0, L - k), +k): shifted inward at the
//   borders, so every query sees exactly prod(k) keys. s = 1 is
//   neighborhood (sliding window) attention, s = k blocked attention, and
//   1 < s < k the strided sliding windows in between; the key j is kept iff
//   its coordinates are in the window on every axis.
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
// Parameters: a 2-D token grid of width 20 (rows inferred from N), window
//   8 x 8, stride 4 x 4, no dilation; scale 1/sqrt(d). [The paper sweeps
//   window/stride per model (e.g. 2-D FLUX and 3-D video configurations);
//   these values are one representative strided configuration.]
// Choices:
//   - #attn.neighborhood with `stride` is this family (the dialect took the
//     stride from NATTEN: the leader formula above is NATTEN's
//     get_win_start, verified against the authors' kernels, including the
//     causal form l = min(floor(x/s)*s + s - 1, L - 1), window
//     [max(l - k + 1, 0), x]).
//   - GNA's token permutation (tiling the grid so that tiles are perfectly
//     block-sparse) is a layout optimisation of the kernel: the predicate,
//     hence the result, is the same; the block classification exploits the
//     sparsity without it (docs/zoo/M08_gna.png).
func.func @gna(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.neighborhood<grid = [-1, 20], kernel = [8, 8], stride = [4, 4]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
