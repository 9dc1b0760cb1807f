// KDGQA: key-driven grouped-query attention, data-dependent head groups.
// ZOO.md: H07 `kdgqa`.
//
// Paper: "Beyond Uniform Query Distribution: Key-Driven Grouped Query
//   Attention", Khan et al., 2024.
// Formula: GQA in which the allocation of query heads to key/value heads is
//   non-uniform and decided per forward pass (KDGQA: from the ratios of the
//   key heads' norms; DGQA: from the evolution of those norms during
//   training):
//     o_ih = sum_j softmax_j(q_ih . k_{j, m_b(h)} / sqrt(d)) v_{j, m_b(h)}
//   with m_b: query head -> KV head, recomputed for every batch element.
// Parameters: #KV heads (Hkv, from the shapes); the map m [B, Hq] is an
//   integer operand computed by the caller from the key norms (the random
//   test draws any valid map); shared by K and V, so it is passed as both
//   k_head_map and v_head_map; scale 1/sqrt(d); no mask (ViT, the paper's
//   setting).
// Choices: PGQA (static groups with noise subtracted from the attention
//   maps) is a training-time variant; its static grouping is this spec with
//   a constant map. Uses head maps: compiled with the untiled lowering until
//   the tiled one supports them.
func.func @kdgqa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>, %map: tensor<?x?xi32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_head_map(%map : tensor<?x?xi32>)
       v_head_map(%map : tensor<?x?xi32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
