// Sigma DiffQKV: differentially compressed keys and values.
// ZOO.md: H08 `sigma_diffqkv`.
//
// Paper: "Sigma: Differential Rescaling of Query, Key and Value for
//   Efficient Language Models", Lin et al., 2025.
// Formula: Q, K and V get different head counts (K compressed more than V:
//   H_k < H_v <= H_q [verify: the ratio used]) and the value head dimension
//   may differ from the query/key one (d_qk != d_v); query head h reads key
//   head g_K(h) = h / (H_q / H_k) and value head g_V(h) = h / (H_q / H_v):
//     o_ih = sum_j softmax_j(q_ih . k_{j, g_K(h)} / sqrt(d_qk)) v_{j, g_V(h)}
// Parameters: H_q, H_k from the shapes, H_v from the value (attn.dims:
//   Hv = Hq - 2 in the random test), d_v from the value shape; the two
//   grouping tables g_K, g_V as k_head_map / v_head_map ([Hq]); scale
//   1/sqrt(d_qk); causal.
// Choices and [verify] items:
//   - The regular GQA-style groupings are passed as tables, so irregular
//     groupings (and the fused ones of DHA) are the same spec.
//   - "Augmented Q" (AugQ: a larger Q head dimension) [verify]: how the
//     extra Q dimensions meet K is not in the abstract; if they only widen
//     the Q projection feeding the output (or are split into extra heads) it
//     is a projection outside the op; a q . k with d_q != d_k is not
//     defined. docs/zoo.md lists H08 as partial (DiffQKV exact, AugQ open).
//   - Uses head maps: compiled with the untiled lowering until the tiled
//     one supports them.
func.func @sigma_diffqkv(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32> {attn.dims = ["B", "Hq-2", "Nk", "Dv"]},
                         %gk: tensor<?xi32>, %gv: tensor<?xi32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_head_map(%gk : tensor<?xi32>)
       v_head_map(%gv : tensor<?xi32>) mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
