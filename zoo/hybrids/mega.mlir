// Mega-chunk: the attention of Mega's moving-average equipped gated
// attention, block-diagonal within chunks, with relu^2 weights.
// ZOO.md: Y04 `mega`.
//
// Paper: "Mega: Moving Average Equipped Gated Attention" (Ma et al.), 2022.
// Formula (one head, Mega-chunk with chunks of c tokens):
//     X' = EMA(X)   (multi-dimensional damped EMA, over the whole sequence)
//     Z = SiLU(X' W_z),  Q = k_q * Z + b_q,  K = k_k * Z + b_k,
//     V = SiLU(X W_v)
//     A = f(Q K^T / c + b_rel),  f = relu^2 (also softmax, laplace)
//     O = A V within each chunk (block diagonal), causal for LM,
//     then the gated output h = SiLU(r * O ...) and the update gate.
// Choices:
//   - The attention core is the op: `#attn.chunked<128>` and-ed with causal
//     (the autoregressive Mega-chunk), scale 1/c = 1/128 [verify: 1/n with
//     n the chunk length for relu^2], the relative bias b_rel[i - j] as a
//     capture table of 2c - 1 = 255 offsets (index i - j + 127) added by
//     the score_mod, then relu(s)^2 in the same region, and the identity
//     normalization (the weights are f's values, no denominator).
//   - The EMA (it carries the context across chunks), the Z, Q, K, V
//     projections and the gates after the attention are the caller's: the
//     EMA acts on X before Q, K, V exist, so no state crosses chunks inside
//     the attention. The output gate r (element-wise on O, Mega's
//     `r * (A V)`) is the rank-4 `output_gate`.
//   - laplace(x) = (1 + erf((x - sqrt(1/2)) / (sqrt(1/(4 pi)) sqrt 2))) / 2
//     is not written: regions have no `math.erf` yet; softmax is the
//     default normalization with the same mask and bias.
func.func @mega(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>,
                %r: tensor<?x?x?x?xf32> {attn.name = "gate_r"},
                %rel: tensor<255xf32> {attn.name = "relative_bias"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v output_gate(%r : tensor<?x?x?x?xf32>)
       captures(%rel : tensor<255xf32>)
       mask(#attn.and<[#attn.causal, #attn.chunked<128>]>)
       normalization(#attn.normalize<identity>)
       scale(0.0078125)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %t: tensor<255xf32>):
         %c127 = arith.constant 127 : index
         %d = arith.subi %i, %j : index
         %at = arith.addi %d, %c127 : index
         %bias = tensor.extract %t[%at] : tensor<255xf32>
         %x = arith.addf %s, %bias : f32
         %zero = arith.constant 0.0 : f32
         %p = arith.maximumf %x, %zero : f32
         %sq = arith.mulf %p, %p : f32
         attn.yield %sq : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
