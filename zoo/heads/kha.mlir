// Knocking-Heads Attention: cross-head feature mixing before SDPA.
// ZOO.md: H09 `kha`.
//
// Paper: "Knocking-Heads Attention", 2025.
// Formula: before scaled dot-product attention, the per-head Q, K, V
//   features are mixed across heads by a shared projection initialized to
//   the identity (diagonal), so heads "knock" on each other:
//     q'_h = sum_h' T^Q_{h h'} q_h',  k'_h = sum_h' T^K_{h h'} k_h',
//     v'_h = sum_h' T^V_{h h'} v_h'   (linear variant; an MLP variant
//     replaces T by a small MLP over the head axis [secondary summary])
//     o_h = softmax(q'_h k'_h^T / sqrt(d)) v'_h
// Exact formulation: the mixing is a prologue on the Q/K/V tensors (a
//   per-token [H x H] (or [H*d x H*d] block) matrix product, which the
//   caller fuses into the Q/K/V projections); the attention itself is
//   standard MHA/GQA/GTA attention on q', k', v': this spec.
// Parameters: the mixing matrices (caller's); scale 1/sqrt(d); causal
//   (decoder LLMs); GQA from the shapes (KHA works with MHA, GQA and GTA).
// Choices: at inference a linear T can be folded into the projection
//   weights, so KHA costs nothing in the attention kernel.
func.func @kha(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
