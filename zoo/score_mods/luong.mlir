// Luong attention, local-p: predicted window centre and a Gaussian factor.
// ZOO.md: S06 `luong`.
//
// Paper: "Effective Approaches to Attention-based Neural Machine
//   Translation", Luong, Pham and Manning, EMNLP 2015.
// Formula (local-p with the dot/general score):
//   p_t = S * sigmoid(v_p^T tanh(W_p h_t))        (predicted centre, real)
//   a_t(s) = softmax over s in [p_t - D, p_t + D] of score(h_t, hbar_s)
//            * exp(-(s - p_t)^2 / (2 sigma^2)),  sigma = D / 2
//   c_t = sum_s a_t(s) hbar_s
//   score = dot: h_t . hbar_s;  general: h_t^T W_a hbar_s (the caller passes
//   q = W_a^T h_t, so both are the op's dot product, unscaled).
// Parameters: D = 10 (the paper's window half-width, "empirically set");
//   sigma = D / 2 = 5; scale(1.0) (no 1/sqrt(d) in Luong); p_t[b, t] is a
//   float operand [B, Nq] in [0, S] computed by the caller from the decoder
//   state (the random test draws it uniformly in [0, Nk]).
// Choices:
//   - The Gaussian factor multiplies the *normalized* weights (the paper's
//     eq. 10: a_t(s) = align(h_t, hbar_s) exp(...)) and is not
//     renormalized: a post-normalization weight_mod, w' = w * gauss(s - p_t)
//     (two-pass lowering: the softmax normalizer is needed first).
//   - The window keeps integer positions s with |s - p_t| <= D (mask_fn on
//     the captured real p_t).
//   - The "concat" score v_a^T tanh(W_a [h_t; hbar_s]) is not a dot product
//     (an MLP over the pair, see zoo/score_mods/neural_attention.mlir for
//     that machinery); this spec covers dot/general, the paper's best.
//   - Uses weight_mod: compiled with the untiled lowering until the tiled
//     one supports it.
func.func @luong_local_p(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>,
                         %pt: tensor<?x?xf32> {attn.dims = ["B", "Nq"], attn.range = [0.0, "Nk"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%pt : tensor<?x?xf32>) scale(1.0)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index, %p: tensor<?x?xf32>):
         %c = tensor.extract %p[%b, %i] : tensor<?x?xf32>
         %jj = arith.index_cast %j : index to i64
         %jf = arith.sitofp %jj : i64 to f32
         %dlt = arith.subf %jf, %c : f32
         %ad = math.absf %dlt : f32
         %win = arith.constant 10.0 : f32
         %in = arith.cmpf ole, %ad, %win : f32
         attn.yield %in : i1
       }
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index,
            %p: tensor<?x?xf32>):
         %c = tensor.extract %p[%b, %i] : tensor<?x?xf32>
         %jj = arith.index_cast %j : index to i64
         %jf = arith.sitofp %jj : i64 to f32
         %dlt = arith.subf %jf, %c : f32
         %sq = arith.mulf %dlt, %dlt : f32
         // 2 sigma^2 = 2 * 5^2 = 50
         %inv = arith.constant -0.02 : f32
         %ex = arith.mulf %sq, %inv : f32
         %g = math.exp %ex : f32
         %x = arith.mulf %w, %g : f32
         attn.yield %x : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
