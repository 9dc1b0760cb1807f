// Neural Attention: the dot product replaced by a small MLP over (q, k).
// ZOO.md: S07 `neural_attention`.
//
// Paper: "Neural Attention: A Novel Mechanism for Enhanced Expressive Power
//   in Transformer Models", DiGiugno and Mahmood, 2025.
// Formula (authors' code, nlp_neural_attention/Models/NeuralAttention.py):
//   q~ = q_proj(q), k~ = k_proj(k)          (d_head -> p = d_head / 32)
//   s_ij = L3(relu(L2(relu(L1([q~_i ; k~_j])))))
//   L1: 2p -> p, L2: p -> p/2, L3: p/2 -> 1 (biases included), then the
//   causal mask and o_i = sum_j softmax_j(s_ij) v_j (no 1/sqrt(d) on s).
// Parameters: d_head = 64, so p = 2: L1 is 4 -> 2, L2 is 2 -> 1, L3 1 -> 1.
// Exact decomposition used by the spec: L1 on the concatenation is
//   W1a q~_i + W1b k~_j + b1, so the caller computes the per-query
//   a_i = W1a q_proj(q_i) + b1 ([B, Hq, Nq, 2]) and the per-key
//   c_j = W1b k_proj(k_j) ([B, Hq, Nk, 2]) (two small GEMMs, like the code's
//   q_proj/k_proj); the pair-wise part
//     h1 = relu(a_i + c_j) (2 values), h2 = relu(w2 . h1 + b2), s = w3 h2 + b3
//   is the score_mod region, with mlp = [w2_0, w2_1, b2, w3, b3] (the MLP is
//   shared by all heads, as in the code).
// Choices:
//   - The op's own dot product q . k is computed and ignored (the region
//     replaces the score); the exact cost of the method is the MLP per pair.
//   - Unrolled for p = 2 (d_head 64, the code's default projection_dim =
//     d_head // 32): a larger p repeats the same terms (p + p/2 units).
//   - Causal, as in the language-modelling code.
func.func @neural_attention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                            %v: tensor<?x?x?x?xf32>,
                            %a: tensor<?x?x?x2xf32> {attn.dims = ["B", "Hq", "Nq", 2]},
                            %c: tensor<?x?x?x2xf32> {attn.dims = ["B", "Hq", "Nk", 2]},
                            %mlp: tensor<5xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%a, %c, %mlp : tensor<?x?x?x2xf32>, tensor<?x?x?x2xf32>, tensor<5xf32>)
       mask(#attn.causal)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %ta: tensor<?x?x?x2xf32>, %tc: tensor<?x?x?x2xf32>, %tm: tensor<5xf32>):
         %c0 = arith.constant 0 : index
         %c1 = arith.constant 1 : index
         %c2 = arith.constant 2 : index
         %c3 = arith.constant 3 : index
         %c4 = arith.constant 4 : index
         %zero = arith.constant 0.0 : f32
         %a0 = tensor.extract %ta[%b, %h, %i, %c0] : tensor<?x?x?x2xf32>
         %a1 = tensor.extract %ta[%b, %h, %i, %c1] : tensor<?x?x?x2xf32>
         %k0 = tensor.extract %tc[%b, %h, %j, %c0] : tensor<?x?x?x2xf32>
         %k1 = tensor.extract %tc[%b, %h, %j, %c1] : tensor<?x?x?x2xf32>
         %z0 = arith.addf %a0, %k0 : f32
         %z1 = arith.addf %a1, %k1 : f32
         %h0 = arith.maximumf %z0, %zero : f32
         %h1 = arith.maximumf %z1, %zero : f32
         %w20 = tensor.extract %tm[%c0] : tensor<5xf32>
         %w21 = tensor.extract %tm[%c1] : tensor<5xf32>
         %b2 = tensor.extract %tm[%c2] : tensor<5xf32>
         %w3 = tensor.extract %tm[%c3] : tensor<5xf32>
         %b3 = tensor.extract %tm[%c4] : tensor<5xf32>
         %m0 = arith.mulf %w20, %h0 : f32
         %m1 = math.fma %w21, %h1, %m0 : f32
         %y2 = arith.addf %m1, %b2 : f32
         %g2 = arith.maximumf %y2, %zero : f32
         %y3 = math.fma %w3, %g2, %b3 : f32
         attn.yield %y3 : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
