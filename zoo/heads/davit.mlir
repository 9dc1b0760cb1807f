// DaViT, spatial-token attention: window attention over 7 x 7 windows.
// ZOO.md: H12 `davit` (the channel-group attention is davit_channel.mlir).
//
// Paper: "DaViT: Dual Attention Vision Transformers", Ding, Xiao, Codella,
//   Luo, Wang and Yuan, ECCV 2022.
// Formula: spatial-token self-attention is window attention: the map is
//   partitioned into non-overlapping w x w windows, attention inside each:
//     o_i = sum_{j in window(i)} softmax_j(q_i . k_j / sqrt(d)) v_j
//   DaViT alternates it with channel-group attention (davit_channel.mlir).
// Parameters: window w = 7 (DaViT), grid width 14 (height inferred from N;
//   the 14 x 14 map of stage 3 at 224 x 224 input); scale 1/sqrt(d).
// Choices: window partition = #attn.neighborhood with stride = kernel (the
//   grid must be divisible by 7, as DaViT pads it).
func.func @davit_spatial(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.neighborhood<grid = [-1, 14], kernel = [7, 7], stride = [7, 7]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
