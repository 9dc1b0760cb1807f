// Causal softmax attention (the Transformer decoder's masked self-attention).
//
// Paper: "Attention Is All You Need", Vaswani et al., NeurIPS 2017,
//   Section 3.2.1 (scaled dot-product attention) and 3.2.3 (decoder masking).
// Formula:
//   Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V,
//   with the decoder's self-attention masked so that query i attends to keys
//   j <= i only ("masking out (setting to -inf) all values in the input of the
//   softmax which correspond to illegal connections").
// Parameters:
//   scale = 1/sqrt(d_k): the paper's, and the dialect's default, so no
//     `scale` clause (d_k = 64 in the base model; the spec is shape-generic).
//   mask = #attn.causal.
// Choices:
//   - Shapes are dynamic [B, H, N, D]; q, k, v are already split into heads
//     (the Q/K/V/O projections of multi-head attention are outside the op).
//   - The paper has Hq = Hkv (multi-head attention); the same spec accepts
//     GQA/MQA shapes (Hq a multiple of Hkv).
//   - When Nq != Nk the queries are aligned bottom-right (the dialect's
//     convention), so a decode step with a KV cache sees the whole cache; for
//     Nq == Nk this is exactly j <= i.
//   - f32; nothing in the spec depends on the element type.
// The Gemma 2 global layer is this spec plus a logit soft-cap
// (zoo/hybrids/gemma2_global.mlir).
func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
