// DaViT, channel-group attention: attention over the transposed layout.
// ZOO.md: H12 `davit` (second attention kind; the spatial window attention
// is davit.mlir).
//
// Paper: "DaViT: Dual Attention Vision Transformers", Ding, Xiao, Codella,
//   Luo, Wang and Yuan, ECCV 2022.
// Formula: channels are split into groups g of C_g channels; within a
//   group the *channels* are the tokens and the spatial positions the
//   feature dimension:
//     A_g = softmax(Q_g^T K_g / sqrt(C_g)),  (C_g x C_g)
//     O_g = (A_g V_g^T)^T
//   with Q_g, K_g, V_g the [N x C_g] slices (N spatial tokens).
// Exact formulation: the caller transposes the slices: the op's "sequence"
//   axis is the channel axis (Nq = Nk = C_g = 32) and its head_dim axis the N
//   spatial tokens (D = Dv = N, dynamic); heads = channel groups. The scale
//   is 1/sqrt(C_g) = 1/sqrt(32), not 1/sqrt(D), hence the explicit scale.
// Parameters: C_g = 32 channels per group (DaViT-Tiny: C = 96 with 3
//   groups), [verify: the scale uses the group's channel count, per the
//   paper's equation]; no mask.
// Choices: static C_g = 32 (Nq, Nk static in the signature), dynamic N; the
//   test varies N (the head_dim of this view) instead of the sequence length.
func.func @davit_channel(%q: tensor<?x?x32x?xf32>, %k: tensor<?x?x32x?xf32>,
                         %v: tensor<?x?x32x?xf32>) -> tensor<?x?x32x?xf32> {
  %o = attn.attention %q, %k, %v scale(0.17677669529663687)
       : tensor<?x?x32x?xf32>, tensor<?x?x32x?xf32>, tensor<?x?x32x?xf32>
         -> tensor<?x?x32x?xf32>
  return %o : tensor<?x?x32x?xf32>
}
