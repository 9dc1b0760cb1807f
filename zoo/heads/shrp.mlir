// SHRP: specialized head routing (Expert Attention) and pruning.
// ZOO.md: H04 `shrp`.
//
// Paper: "SHRP: Specialized Head Routing and Pruning for Efficient Encoder
//   Compression", 2025.
// Formula: each attention head is an independent expert followed by a
//   shared expander FFN; in training a usage-driven Top-1 router sends each
//   token to one head expert:
//     y_i = g_{h*(i)}(x_i) FFN(H_{h*(i)}(x_i)),  h*(i) = argmax_h router(x_i)
//   at deployment, heads (and layers) are pruned deterministically, i.e.
//   the layer keeps a static subset of heads.
// Parameters: the per-(b, h, i) routing weight (one-hot times the router
//   probability in training; 1 for kept and 0 for pruned heads at
//   deployment, or simply fewer heads) is the output_gate g[b, h, i];
//   scale 1/sqrt(d); no mask (BERT encoder).
// Choices and [verify] items:
//   - The shared expander FFN after the selected head is outside the op.
//   - Whether the router weight multiplies the head output (as here) or
//     only selects it [verify].
//   - Static pruning at deployment needs no gate: the pruned model simply
//     has fewer heads (Hq from the shapes).
//   - Uses output_gate: compiled with the untiled lowering until the tiled
//     one supports it.
func.func @shrp(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>, %route: tensor<?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v output_gate(%route : tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
