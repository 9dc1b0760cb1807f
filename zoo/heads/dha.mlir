// DHA: decoupled-head attention, separate key and value head groupings.
// ZOO.md: H05 `dha`.
//
// Paper: "DHA: Learning Decoupled-Head Attention from Transformer
//   Checkpoints via Adaptive Heads Fusion", Chen et al., 2024.
// Formula: per layer l, query head h reads key head g_K^l(h) and value head
//   g_V^l(h), two *different* many-to-one maps found by fusing the heads of
//   an MHA checkpoint (so K and V may also have different head counts):
//     o_ih = sum_j softmax_j(q_ih . k_{j, g_K(h)} / sqrt(d)) v_{j, g_V(h)}
// Parameters: g_K, g_V per layer: the k_head_map and v_head_map operands
//   ([Hq] integers; the random test draws valid maps), K with Hk heads and V
//   with Hv heads (Hv = Hq - 2 in the random test, via attn.dims on v; Hk
//   from --shape);
//   scale 1/sqrt(d); causal (decoder LLMs).
// Choices: the maps are static per layer in DHA; as operands one compiled
//   kernel serves every layer. Uses head maps: compiled with the untiled
//   lowering until the tiled one supports them.
func.func @dha(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32> {attn.dims = ["B", "Hq-2", "Nk", "Dv"]},
               %gk: tensor<?xi32>, %gv: tensor<?xi32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v k_head_map(%gk : tensor<?xi32>)
       v_head_map(%gv : tensor<?xi32>) mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
