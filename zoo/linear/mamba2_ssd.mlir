// Mamba-2 SSD: state-space duality, masked linear attention with a
// data-dependent scalar decay per token and head.
// ZOO.md: L03 `mamba2_ssd`.
//
// Paper: "Transformers are SSMs: Generalized Models and Efficient
//   Algorithms Through Structured State Space Duality", 2024.
// Formula:
//     y_t = sum_{s <= t} (C_t . B_s) (prod_{r=s+1..t} a_r) x_s,
//     a_r = exp(dt_r * A_h)
//   masked linear attention with Q = C, K = B, V = x.
// Parameters: a[b, h, r] in (0, 1] per token and head, computed by the
//   caller from dt and A (the selective part of the SSM); state size = D.
// Choices:
//   - Q, K, V are C, B, x (B and C shared by the heads of a group map to
//     GQA through the head counts); scale 1, identity normalization.
//   - The D * x skip connection and the gating of the Mamba-2 block are
//     outside the attention [verify].
//   - The decay is the `decay` operand [B, H, N]; lowered through the tile
//     program (attn-run --tile-program).
func.func @mamba2_ssd(%c: tensor<?x?x?x?xf32> {attn.name = "C"},
                      %b: tensor<?x?x?x?xf32> {attn.name = "B"},
                      %x: tensor<?x?x?x?xf32> {attn.name = "x"},
                      %a: tensor<?x?x?xf32> {attn.name = "a"})
    -> tensor<?x?x?x?xf32> {
  %y = attn.attention %c, %b, %x
       decay(%a : tensor<?x?x?xf32>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}
